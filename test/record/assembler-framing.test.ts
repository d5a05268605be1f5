/**
 * The recorder's own thread (call-assembler.ts) stamps each event with the arrival of its last byte,
 * and keeps compressed streams replayable: checked by feeding it what the proxy thread reports.
 */
import { gzipSync } from 'node:zlib';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { describe, expect, it } from 'vitest';
import { beginCall, endCall, headOf, readOf } from '../../src/record/call-assembler.js';
import { planPlayback } from '../../src/replay/plan.js';
import { concatBytes } from '../../src/stream/bytes.js';
import { parseTrace, stringifyTrace } from '../../src/trace/codec.js';
import { findTraceProblems } from '../../src/trace/validate.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** Record one call from its reads ([bytes, at] pairs) as the proxy thread would report them. */
function record(headers: Array<[string, string]>, reads: Array<[Uint8Array | string, number]>, endMs: number, url = '/v1/messages') {
  const call = beginCall({ t: 'start', id: 'c1', timestamp: new Date(0).toISOString(), method: 'POST', url, headers: { 'content-type': 'application/json' }, body: enc('{"stream":true}'), upstream: 'http://upstream' }, undefined);
  headOf(call, { t: 'head', id: 'c1', status: 200, statusMessage: 'OK', rawHeaders: headers, headersMs: 1 });
  for (const [bytes, at] of reads) readOf(call, typeof bytes === 'string' ? enc(bytes) : bytes, at);
  return endCall(call, { t: 'end', id: 'c1', outcome: 'complete', firstByteMs: reads[0]?.[1], durationMs: endMs, endMs, maxLoopDelayMs: 0 });
}
const SSE: Array<[string, string]> = [['content-type', 'text/event-stream']];
const offsets = (deltas: number[]) => deltas.map((_, i) => deltas.slice(1, i + 1).reduce((a, b) => a + b, 0));

describe('event times through the recorder', () => {
  it('dates a bare-CR event from the read that brought its last CR, not from the read that showed no LF follows', () => {
    const t = record(SSE, [['data: 1\r\r', 10], ['data: 2\r\r', 50]], 60);
    expect(t.chunks!.map((c) => c.data)).toEqual([1, 2]);
    expect(t.chunks!.map((c) => c.delta_ms)).toEqual([0, 40]);
    expect(t.stream_duration_ms).toBe(40);
  });

  it('dates a CRLF event whose LF came in the next read from that read, and makes no extra chunk for it', () => {
    const t = record(SSE, [['data: 1\r\n\r', 10], ['\n', 12], ['data: 2\r\n\r', 50], ['\n', 53]], 60);
    expect(t.total_chunks).toBe(2);
    expect(t.chunks!.map((c) => c.raw)).toEqual(['data: 1\r\n\r\n', 'data: 2\r\n\r\n']);
    expect(t.chunks!.map((c) => c.delta_ms)).toEqual([0, 41]);
  });

  it('records an empty data line as an event with data ""', () => {
    const t = record(SSE, [['data:\n\ndata: 1\n\n', 5]], 6);
    expect(t.chunks!.map((c) => c.data)).toEqual(['', 1]);
  });
});

describe('compressed streams through the recorder', () => {
  const events = 'event: a\ndata: {"n":1}\n\nevent: b\ndata: {"n":2}\n\n';
  const gz = gzipSync(enc(events));
  const GZ_SSE: Array<[string, string]> = [['content-type', 'text/event-stream'], ['content-encoding', 'gzip']];

  it('keeps the compressed reads for replay and the decoded events as chunks, each dated from the read that completed it', () => {
    const cut = gz.length - 8;
    const t = record(GZ_SSE, [[gz.subarray(0, 10), 5], [gz.subarray(10, cut), 20], [gz.subarray(cut), 30]], 31);
    expect(t.metadata.stream).toBe(true);
    expect(t.http.framing).toBe('sse');
    expect(t.chunks!.map((c) => [c.event, c.data])).toEqual([
      ['a', { n: 1 }],
      ['b', { n: 2 }],
    ]);
    expect(t.chunks!.map((c) => c.raw).join('')).toBe(events);
    expect(offsets(t.http.body!.map((b) => b.delta_ms))).toEqual([0, 15, 25]);
    // The trace is valid, survives its codec, and replays the compressed bytes with their content-encoding.
    expect(findTraceProblems(t)).toEqual([]);
    const back = parseTrace(stringifyTrace(t), 'test');
    const plan = planPlayback(back);
    expect(Buffer.from(concatBytes(plan.pieces.map((p) => p.bytes))).equals(gz)).toBe(true);
    expect(plan.pieces.map((p) => p.at - plan.pieces[0]!.at)).toEqual([0, 15, 25]);
    expect(plan.headers).toContain('content-encoding');
  });

  it('keeps a body that does not decompress as raw reads, as before', () => {
    const t = record(GZ_SSE, [[events.slice(0, 10), 5], [events.slice(10), 9]], 10);
    expect(t.http.framing).toBe('raw');
    expect(t.metadata.stream).toBe(false);
    expect(t.chunks).toBeUndefined();
    expect(t.http.body!.map((b) => b.raw).join('')).toBe(events);
  });

  it('keeps a body with an unknown coding as raw reads', () => {
    const t = record([['content-type', 'text/event-stream'], ['content-encoding', 'zstd']], [[gz, 5]], 6);
    expect(t.http.framing).toBe('raw');
  });

  it('drops the compressed reads and their content-encoding when redaction changed an event (they would still hold the secret)', () => {
    const secretEvents = 'data: {"echo":"sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD"}\n\n';
    const t = record(GZ_SSE, [[gzipSync(enc(secretEvents)), 5]], 6);
    expect(JSON.stringify(t)).not.toContain('sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD');
    expect(t.http.body).toBeUndefined();
    expect(t.http.response_headers.some(([k]) => k === 'content-encoding')).toBe(false);
    // Replay then sends the redacted events, uncompressed.
    const plan = planPlayback(t);
    expect(new TextDecoder().decode(concatBytes(plan.pieces.map((p) => p.bytes)))).toContain('[REDACTED]');
  });
});

describe('event-stream messages through the recorder', () => {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const message = (type: string, payload: string) => codec.encode({ headers: { ':event-type': { type: 'string', value: type }, ':message-type': { type: 'string', value: 'event' } }, body: fromUtf8(payload) });

  it('redacts a key in a message by re-encoding it, so the replayed message is still valid', () => {
    const key = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD';
    const body = concatBytes([message('contentBlockDelta', `{"delta":{"text":"key ${key} ok"}}`), message('messageStop', '{"stopReason":"end_turn"}')]);
    const t = record([['content-type', 'application/vnd.amazon.eventstream']], [[body, 5]], 6, '/model/m/converse-stream');
    expect(t.chunks!.map((c) => c.data)).toEqual([{ delta: { text: 'key [REDACTED] ok' } }, { stopReason: 'end_turn' }]);
    const replayed = planPlayback(t).pieces.map((p) => toUtf8(codec.decode(p.bytes).body));
    expect(replayed).toEqual(['{"delta":{"text":"key [REDACTED] ok"}}', '{"stopReason":"end_turn"}']);
    expect(JSON.stringify(t)).not.toContain(key);
  });
});
