/**
 * Every captured provider stream (fixtures/third-party-streams) through the real recorder and the
 * real replay server, served with hostile splits: cuts between CR and LF, inside UTF-8 characters and
 * inside binary messages, with neighbouring events often merged into one read. The client must get
 * the body byte for byte both times, the trace must hold one chunk per event, the response the
 * recorder rebuilt must say what fixtures/third-party-streams/facts.json says (derived from the bytes
 * by derive_facts.py, not by our code), and `trace view --text` must show the whole answer.
 * All streams go through at once and replay runs at speed 0, so the corpus takes a few seconds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatBytes, storedToBytes } from '../../src/stream/bytes.js';
import { detectFraming, splitFrames } from '../../src/stream/framing.js';
import { summarize } from '../../src/trace/reconstruct.js';
import type { Trace } from '../../src/trace/types.js';
import { buildViewModel, renderTextView } from '../../src/tui/panels.js';
import { plainStyle } from '../../src/tui/style.js';
import { capturedFacts, capturedNames, sha256, type CapturedMeta } from './captured.js';
import { hostileCuts, piecesAt, recordThenReplay, seeded, type ServedStream } from './captured-upstream.js';
import { readFileSync } from 'node:fs';

const DIR = new URL('../../fixtures/third-party-streams/', import.meta.url);
const names = capturedNames();
const load = (name: string) => ({
  meta: JSON.parse(readFileSync(new URL(`${name}/meta.json`, DIR), 'utf8')) as CapturedMeta,
  body: readFileSync(new URL(`${name}/body.bin`, DIR)),
});
const header = (meta: CapturedMeta, name: string) => meta.response.headers.find(([k]) => k.toLowerCase() === name)?.[1];

/** Each stream's request carries its name in the query, so one upstream and one cassette serve them all. */
const caseUrl = (name: string, path: string) => `${path}${path.includes('?') ? '&' : '?'}tf_case=${name}`;

function post(base: string, name: string, meta: CapturedMeta): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const u = new URL(base);
    const req = request(
      { host: u.hostname, port: u.port, method: meta.request.method, path: caseUrl(name, meta.request.path), headers: { ...meta.request.headers, 'content-length': Buffer.byteLength(meta.request.body) } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve(Buffer.concat(parts)));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(meta.request.body);
  });
}

/** The body as its events are framed: decompressed when it came gzip-encoded. */
const plainBody = (meta: CapturedMeta, body: Buffer): Buffer => (/gzip/i.test(header(meta, 'content-encoding') ?? '') ? gunzipSync(body) : body);
const piecesOf = (list: ReadonlyArray<{ raw: string; raw_encoding?: 'base64' }>) => Buffer.from(concatBytes(list.map((p) => storedToBytes(p.raw, p.raw_encoding))));

describe('captured provider streams: record and replay through TraceForge with hostile splits', () => {
  let traces = new Map<string, Trace>();
  let live = new Map<string, Buffer>();
  let replayed = new Map<string, Buffer>();
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tf-captured-'));
    const rand = seeded(12);
    const served = new Map<string, ServedStream>();
    for (const name of names) {
      const { meta, body } = load(name);
      const cuts = hostileCuts(body, rand);
      served.set(name, { status: meta.response.status, headers: meta.response.headers, pieces: piecesAt(body, cuts, () => Math.floor(rand() * 3)) });
    }
    const got = await recordThenReplay(served, (base, name) => post(base, name, load(name).meta), dir);
    ({ traces, live, replayed } = got);
    expect(got.misses).toEqual([]);
  }, 30_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('covers all 57 captured streams', () => {
    expect(names).toHaveLength(57);
    expect([...traces.keys()].sort()).toEqual(names);
  });

  it.each(names)('%s: byte-identical through the recorder and on replay, one chunk per event', (name) => {
    const { meta, body } = load(name);
    const trace = traces.get(name)!;
    expect(live.get(name)!.equals(body)).toBe(true);
    expect(replayed.get(name)!.equals(body)).toBe(true);
    const framing = detectFraming(header(meta, 'content-type'));
    expect(trace.http.framing).toBe(framing);
    expect(trace.http.outcome).toBe('complete');
    if (framing === 'raw') {
      expect(piecesOf(trace.http.body ?? []).equals(body)).toBe(true);
      return;
    }
    const plain = plainBody(meta, body);
    const want = splitFrames(framing, plain);
    expect(trace.metadata.stream).toBe(true);
    expect(trace.total_chunks).toBe(want.length);
    const chunks = trace.chunks ?? [];
    // Each chunk is one event, with the bytes and the event name a whole-body decode gives.
    expect(chunks.map((c) => Buffer.from(storedToBytes(c.raw, c.raw_encoding)).toString('base64'))).toEqual(want.map((f) => Buffer.from(f.raw).toString('base64')));
    expect(chunks.map((c) => c.event)).toEqual(want.map((f) => f.event));
    expect(chunks.map((c) => c.partial ?? false)).toEqual(want.map((f) => f.partial ?? false));
    if (plain !== body) expect(piecesOf(trace.http.body ?? []).equals(body)).toBe(true);
  });

  it.each(names)('%s: the recorded response says what the bytes say, and trace view --text shows all of its text', (name) => {
    const trace = traces.get(name)!;
    const want = capturedFacts()[name]!;
    const s = summarize(trace.metadata.provider, trace.response);
    expect(trace.metadata.model).toBe(want.model);
    expect([s.text.length, sha256(s.text)]).toEqual([want.textLength, want.textSha256]);
    expect(s.tool_calls.map((t) => t.name)).toEqual(want.tools);
    expect(s.finish_reason).toBe(want.finish);
    expect(s.usage ? [s.usage.input_tokens, s.usage.output_tokens] : null).toEqual(want.usage);
    expect(s.reasoning?.length ?? null).toBe(want.reasoningLength);
    // What `trace view --text` prints (src/cli/commands/trace-view.ts renders this with the plain style).
    const view = renderTextView(buildViewModel(trace), plainStyle);
    const response = view.slice(view.indexOf('── Complete response'), view.indexOf('── Request'));
    if (want.textLength > 0) expect(response).toContain(s.text.replace(/\n$/, '').split('\n').map(plainStyle.esc).join('\n'));
  });

  it('records the gzip-encoded Anthropic stream as a stream: 2 tool calls, stop reason and usage', () => {
    const t = traces.get('anthropic-tool-use-gzip')!;
    expect(t.metadata.provider).toBe('anthropic');
    expect(t.metadata.stream).toBe(true);
    expect(t.http.response_headers.find(([k]) => k.toLowerCase() === 'content-encoding')?.[1]).toBe('gzip');
    const r = t.response as { content: Array<{ type: string; name?: string; input?: unknown }>; stop_reason: string; usage: { input_tokens: number; output_tokens: number } };
    expect(r.content.filter((b) => b.type === 'tool_use').map((b) => b.name)).toEqual(['pelican_name_generator', 'pelican_name_generator']);
    expect(r.stop_reason).toBe('tool_use');
    expect(r.usage.output_tokens).toBeGreaterThan(0);
    // The same events as the identity-encoded capture of the same call.
    const plain = traces.get('anthropic-tool-use')!;
    expect(t.chunks!.map((c) => c.data)).toEqual(plain.chunks!.map((c) => c.data));
  });

  it('records the Bedrock event stream as one base64 chunk per message, event from :event-type, data the JSON payload', () => {
    const t = traces.get('bedrock-converse')!;
    expect(t.http.framing).toBe('eventstream');
    expect(t.chunks!.every((c) => c.raw_encoding === 'base64')).toBe(true);
    expect(t.chunks![0]).toMatchObject({ event: 'messageStart', data: { role: 'assistant' } });
    expect(t.chunks!.at(-1)).toMatchObject({ event: 'metadata', data: { usage: { inputTokens: 13, outputTokens: 82 } } });
  });
});
