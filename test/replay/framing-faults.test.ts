/**
 * Replay faults on the framings of issue 12: a Bedrock event stream gets its faults as event-stream
 * messages (the official SDK raises the exception), and a compressed stream is faulted on its decoded
 * events, sent uncompressed.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { BedrockRuntimeClient, ConverseStreamCommand, ServiceUnavailableException } from '@aws-sdk/client-bedrock-runtime';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { describe, expect, it } from 'vitest';
import { beginCall, endCall, headOf, readOf } from '../../src/record/call-assembler.js';
import { applyFaults, parseFault } from '../../src/replay/faults.js';
import { planPlayback } from '../../src/replay/plan.js';
import { startReplayServer } from '../../src/replay/replay-server.js';
import { concatBytes } from '../../src/stream/bytes.js';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const bedrockBody = new Uint8Array(readFileSync(new URL('../../fixtures/third-party-streams/bedrock-converse/body.bin', import.meta.url)));
const CONVERSE = '/model/us.amazon.nova-micro-v1%3A0/converse-stream';
const REQUEST = { modelId: 'us.amazon.nova-micro-v1:0', messages: [{ role: 'user' as const, content: [{ text: 'hi' }] }] };

function record(url: string, requestBody: string, headers: Array<[string, string]>, reads: Uint8Array[]) {
  const call = beginCall({ t: 'start', id: 'c', timestamp: new Date(0).toISOString(), method: 'POST', url, headers: { 'content-type': 'application/json' }, body: new TextEncoder().encode(requestBody), upstream: 'http://up' }, undefined);
  headOf(call, { t: 'head', id: 'c', status: 200, statusMessage: 'OK', rawHeaders: headers, headersMs: 1 });
  reads.forEach((r, i) => readOf(call, r, 2 + i));
  return endCall(call, { t: 'end', id: 'c', outcome: 'complete', firstByteMs: 2, durationMs: 3 + reads.length, endMs: 3 + reads.length, maxLoopDelayMs: 0 });
}
// The SDK puts the model in the path and the rest in the body.
const bedrockTrace = () => record(CONVERSE, JSON.stringify({ messages: REQUEST.messages }), [['content-type', 'application/vnd.amazon.eventstream']], [bedrockBody.subarray(0, 500), bedrockBody.subarray(500)]);

describe('faults on a Bedrock event stream', () => {
  it('error-event=N sends an exception message after N messages; truncate-json=N keeps the framing valid around half the payload', () => {
    const t = bedrockTrace();
    const plan = planPlayback(t);
    const err = applyFaults(plan, t, [parseFault('error-event=2')]);
    expect(err.pieces).toHaveLength(3);
    const m = codec.decode(err.pieces[2]!.bytes);
    expect(m.headers[':message-type']?.value).toBe('exception');
    expect(m.headers[':exception-type']?.value).toBe('serviceUnavailableException');
    const cut = applyFaults(plan, t, [parseFault('truncate-json=2')]);
    const original = codec.decode(plan.pieces[1]!.bytes);
    const truncated = codec.decode(cut.pieces[1]!.bytes);
    expect(truncated.headers).toEqual(original.headers);
    expect(toUtf8(truncated.body)).toBe(toUtf8(original.body).slice(0, Math.floor(original.body.length / 2)));
  });

  it('the official SDK raises ServiceUnavailableException after the events before the fault', async () => {
    const replay = await startReplayServer({ cassette: [bedrockTrace()], speed: 0, faults: ['error-event=3'] });
    try {
      const client = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: replay.url, requestHandler: new NodeHttpHandler(), credentials: { accessKeyId: 'AKIDFAKEFAKEFAKEFAKE', secretAccessKey: 'fake' } });
      const out = await client.send(new ConverseStreamCommand(REQUEST));
      const seen: string[] = [];
      const run = async () => {
        for await (const e of out.stream!) seen.push(Object.keys(e).find((k) => (e as unknown as Record<string, unknown>)[k] !== undefined)!);
      };
      expect(replay.misses.map((m) => m.message)).toEqual([]);
      await expect(run()).rejects.toBeInstanceOf(ServiceUnavailableException);
      expect(seen).toEqual(['messageStart', 'contentBlockDelta', 'contentBlockDelta']);
    } finally {
      await replay.close();
    }
  });
});

describe('faults on a compressed stream', () => {
  it('are applied to the decoded events, sent without content-encoding', () => {
    const events = 'event: a\ndata: {"n":1}\n\nevent: b\ndata: {"n":2}\n\nevent: c\ndata: {"n":3}\n\n';
    const t = record('/v1/messages', '{"stream":true}', [['content-type', 'text/event-stream'], ['content-encoding', 'gzip']], [gzipSync(new TextEncoder().encode(events))]);
    const plan = planPlayback(t);
    // Without faults: the compressed read, as received.
    expect(plan.pieces).toHaveLength(1);
    const faulted = applyFaults(plan, t, [parseFault('drop-after=2')]);
    expect(new TextDecoder().decode(concatBytes(faulted.pieces.map((p) => p.bytes)))).toBe('event: a\ndata: {"n":1}\n\nevent: b\ndata: {"n":2}\n\n');
    expect(faulted.drop).toBe(true);
    expect(faulted.headers.map((h) => h.toLowerCase())).not.toContain('content-encoding');
  });
});
