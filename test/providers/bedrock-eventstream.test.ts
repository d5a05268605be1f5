/**
 * The official Bedrock SDK through the recorder and then the replay server: a fake upstream serves the
 * captured Converse stream (fixtures/third-party-streams/bedrock-converse) in its real binary framing,
 * split inside messages and with several messages in one write; the SDK signs with fake credentials.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, describe, expect, it } from 'vitest';
import { startRecorder } from '../../src/record/recorder.js';
import { startReplayServer } from '../../src/replay/replay-server.js';
import { appendToCassette } from '../../src/store/cassette-file.js';
import { storedToBytes } from '../../src/stream/bytes.js';
import type { Trace } from '../../src/trace/types.js';
import { startCapturedUpstream, type Piece } from './captured-upstream.js';

const DIR = new URL('../../fixtures/third-party-streams/bedrock-converse/', import.meta.url);
const body = new Uint8Array(readFileSync(new URL('body.bin', DIR)));
const meta = JSON.parse(readFileSync(new URL('meta.json', DIR), 'utf8')) as { response: { status: number; headers: Array<[string, string]> } };

/** Message boundaries from the 4-byte length prefixes. */
function messageEnds(b: Uint8Array): number[] {
  const ends: number[] = [];
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let at = 0; at < b.length; ) ends.push((at += view.getUint32(at)));
  return ends;
}

/** Messages in pieces: some cut in the middle (prelude, headers, payload), some merged with the next. */
function hostilePieces(): Piece[] {
  const ends = messageEnds(body);
  const cuts: number[] = [];
  let start = 0;
  ends.forEach((end, i) => {
    if (i % 3 === 0) cuts.push(start + 3, start + 20, end - 2);
    if (i % 3 !== 1) cuts.push(end);
    start = end;
  });
  const sorted = [...new Set(cuts)].filter((c) => c > 0 && c < body.length).sort((a, b) => a - b);
  const out: Piece[] = [];
  let prev = 0;
  for (const c of [...sorted, body.length]) {
    out.push({ bytes: body.slice(prev, c), gapMs: 2 });
    prev = c;
  }
  return out;
}

const client = (base: string) =>
  new BedrockRuntimeClient({ region: 'us-east-1', endpoint: base, requestHandler: new NodeHttpHandler(), credentials: { accessKeyId: 'AKIDFAKEFAKEFAKEFAKE', secretAccessKey: 'fake-secret-key' } });

async function converse(base: string): Promise<unknown[]> {
  const out = await client(base).send(
    new ConverseStreamCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [{ role: 'user', content: [{ text: 'What is the capital of France?' }] }], inferenceConfig: { temperature: 0 } }),
  );
  const events: unknown[] = [];
  for await (const e of out.stream!) events.push(e);
  return events;
}

describe('Bedrock ConverseStream (official SDK) recorded and replayed', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gets the same events on replay; the trace holds one base64 chunk per message and reconstructs the answer', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tf-bedrock-'));
    const cassette = join(dir, `${randomUUID()}.yaml`);
    const upstream = await startCapturedUpstream(() => ({ status: meta.response.status, headers: meta.response.headers, pieces: hostilePieces() }));
    const traces: Trace[] = [];
    const rec = await startRecorder({ upstream: upstream.url, onTrace: (t) => void traces.push(t) });
    let live: unknown[];
    try {
      live = await converse(rec.url);
      await rec.flush();
    } finally {
      await rec.close();
      await upstream.close();
    }
    expect(traces).toHaveLength(1);
    const t = traces[0]!;
    expect(t.http.framing).toBe('eventstream');
    expect(t.metadata.stream).toBe(true);
    const ends = messageEnds(body);
    expect(t.total_chunks).toBe(ends.length);
    // Each chunk is exactly one message's bytes.
    let start = 0;
    t.chunks!.forEach((c, i) => {
      expect(c.raw_encoding).toBe('base64');
      expect(Buffer.from(storedToBytes(c.raw, c.raw_encoding)).equals(body.subarray(start, ends[i]))).toBe(true);
      start = ends[i]!;
    });
    expect(t.chunks!.map((c) => c.event)).toEqual(['messageStart', ...Array(29).fill('contentBlockDelta'), 'contentBlockStop', 'messageStop', 'metadata']);
    // SigV4's signature is a secret: not written down.
    expect(JSON.stringify(t.http.request_headers)).not.toMatch(/Signature=[0-9a-f]{64}/);
    // The reconstruction (src/trace/providers/bedrock.ts) reads our chunks.
    expect(t.metadata.provider).toBe('bedrock');
    const r = t.response as { output: { message: { content: Array<{ text: string }> } }; stopReason: string; usage: { inputTokens: number; outputTokens: number } };
    expect(r.output.message.content[0]!.text).toHaveLength(375);
    expect(r.stopReason).toBe('end_turn');
    expect(r.usage).toMatchObject({ inputTokens: 13, outputTokens: 82 });

    await appendToCassette(cassette, traces);
    const replay = await startReplayServer({ cassette, speed: 0 });
    let replayed: unknown[];
    try {
      replayed = await converse(replay.url);
      expect(replay.misses).toEqual([]);
    } finally {
      await replay.close();
    }
    expect(live).toHaveLength(33);
    expect(replayed).toEqual(live);
  }, 20_000);
});
