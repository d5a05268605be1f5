/**
 * The WebSocket tape (src/ws/tape.ts): a session written into a cassette reads back exactly, secrets the
 * handshake carried never reach the text, and a client frame is checked field by field (src/ws/frame-match.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCassette, stringifyCassette } from '../../src/cassette/codec.js';
import { compareFrame } from '../../src/ws/frame-match.js';
import { framePayload, frameBytes, wsTraceOf, type RawWsSession, type WsFrame } from '../../src/ws/tape.js';

const payload = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.constantFrom('---', '...', '# x', 'a\r\nb', '\u2028', '  lead', 'x\n\n', ''),
);
const bytes = fc.oneof(payload.map((s) => new Uint8Array(Buffer.from(s))), fc.uint8Array({ maxLength: 40 }));
// A text frame is UTF-8 (ws refuses anything else); a binary one is any bytes.
const frame = fc.oneof(
  fc.record({ from: fc.constantFrom('client' as const, 'server' as const), at: fc.double({ min: 0, max: 1e6, noNaN: true }), binary: fc.constant(true), bytes }),
  fc.record({ from: fc.constantFrom('client' as const, 'server' as const), at: fc.double({ min: 0, max: 1e6, noNaN: true }), binary: fc.constant(false), bytes: payload.map((s) => new Uint8Array(Buffer.from(s))) }),
);
const close = fc.record(
  { by: fc.constantFrom('client' as const, 'server' as const, 'none' as const), code: fc.integer({ min: 1000, max: 4999 }), reason: payload, at_ms: fc.double({ min: 0, max: 1e6, noNaN: true }) },
  { requiredKeys: ['by', 'at_ms'] },
);

function raw(over: Partial<RawWsSession> = {}): RawWsSession {
  return {
    id: 'ws1',
    timestamp: '2026-01-01T00:00:00.000Z',
    upstream: 'wss://api.openai.com/v1/realtime?model=gpt-realtime',
    requestHeaders: { authorization: 'Bearer sk-proj-abcdefghijklmnopqrstuvwxyz0123', 'openai-beta': 'realtime=v1' },
    status: 101,
    statusMessage: 'Switching Protocols',
    responseHeaders: [['upgrade', 'websocket'], ['x-request-id', 'r1']],
    headersMs: 12.25,
    frames: [],
    durationMs: 100,
    ...over,
  };
}

describe('WebSocket tape', () => {
  it('read(write(session)) is the session, for any frames, opcodes, payloads and close', () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 8 }), fc.option(close, { nil: undefined }), fc.option(fc.constantFrom('realtime', 'x.y'), { nil: undefined }), (frames, end, protocol) => {
        // No secret in these sessions: what is written is what the recorder saw.
        const t = wsTraceOf(raw({ requestHeaders: {}, frames, close: end, protocol }));
        const back = parseCassette(stringifyCassette({ version: 2, interactions: [t] }), 'c.yaml').interactions[0]!;
        expect(back).toEqual(structuredClone(t));
        // And the bytes and opcodes are the ones that went over the wire.
        back.websocket!.frames.forEach((f, i) => {
          expect(frameBytes(f).equals(Buffer.from(frames[i]!.bytes))).toBe(true);
          expect(f.opcode).toBe(frames[i]!.binary ? 'binary' : 'text');
        });
      }),
      { numRuns: 60 },
    );
  });

  it('keeps a UTF-8 binary frame readable as text and anything else as base64', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        const p = framePayload(b);
        expect(frameBytes({ from: 'server', at_ms: 0, opcode: 'binary', ...p }).equals(Buffer.from(b))).toBe(true);
      }),
    );
    expect(framePayload(Buffer.from('{"a":1}'))).toEqual({ text: '{"a":1}' });
    expect(framePayload(Buffer.from([0xff, 0x00]))).toEqual({ base64: '/wA=' });
  });

  it('never writes a key the handshake carried: header, query parameter, or subprotocol, nor where a frame echoes it', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{20,40}$/), fc.constantFrom('authorization', 'api-key', 'x-goog-api-key'), (key, header) => {
        const t = wsTraceOf(
          raw({
            upstream: `wss://example.test/ws?key=${key}&api-key=${key}&model=m`,
            requestHeaders: { [header]: header === 'authorization' ? `Bearer ${key}` : key, 'sec-websocket-protocol': `realtime, openai-insecure-api-key.${key}` },
            protocol: 'realtime',
            frames: [{ from: 'server', at: 1, binary: false, bytes: Buffer.from(JSON.stringify({ type: 'echo', said: key })) }],
          }),
        );
        const text = stringifyCassette({ version: 2, interactions: [t] });
        expect(text).not.toContain(key);
        expect(t.http.request_headers['sec-websocket-protocol']).toBe('realtime, openai-insecure-api-key.[REDACTED]');
        expect(t.http.url).toContain('model=m');
      }),
      { numRuns: 100 },
    );
  });

  it('a cassette entry with a bad frame is reported at its path', () => {
    const t = wsTraceOf(raw({ requestHeaders: {}, frames: [{ from: 'client', at: 1, binary: false, bytes: Buffer.from('x') }] }));
    const text = stringifyCassette({ version: 2, interactions: [t] }).replace('from: client', 'from: nobody');
    const c = parseCassette(text, 'c.yaml');
    expect(c.interactions).toHaveLength(0);
    expect(c.warnings?.[0]).toMatch(/c\.yaml:\d+: interactions\[0\]\.websocket\.frames\[0\]\.from must be "client" or "server"/);
  });
});

describe('client frame check', () => {
  const rec = (v: unknown): WsFrame => ({ from: 'client', at_ms: 0, opcode: 'text', text: JSON.stringify(v) });
  const got = (v: unknown, binary = false) => ({ binary, bytes: Buffer.from(JSON.stringify(v)) });

  it('any JSON frame matches itself with its keys reordered and its volatile fields changed', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }).filter((k) => k !== 'event_id' && k !== '__proto__'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }), fc.string(), fc.string(), (obj, id1, id2) => {
        const reordered = Object.fromEntries(Object.entries(obj).reverse());
        expect(compareFrame(rec({ ...obj, event_id: id1 }), got({ event_id: id2, ...reordered }))).toBeUndefined();
      }),
    );
  });

  it('a changed field is told by its JSON path and both values', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), (a, b) => {
        fc.pre(a !== b);
        const d = compareFrame(rec({ type: 'session.update', session: { instructions: a } }), got({ type: 'session.update', session: { instructions: b } }));
        expect(d).toEqual({ path: '$.session.instructions', recorded: JSON.stringify(a), received: JSON.stringify(b) });
      }),
    );
    expect(compareFrame(rec({ a: 1 }), got({ a: 1 }, true))).toEqual({ path: 'opcode', recorded: 'text', received: 'binary' });
    expect(compareFrame({ from: 'client', at_ms: 0, opcode: 'text', text: 'hi' }, { binary: false, bytes: Buffer.from('ho') })).toEqual({ path: 'payload', recorded: '"hi"', received: '"ho"' });
    expect(compareFrame(rec({ k: '[REDACTED]' }), got({ k: 'anything' }))).toBeUndefined();
    expect(compareFrame(rec({ event_id: 'a', x: 1 }), got({ event_id: 'b', x: 1 }), [])).toEqual({ path: '$.event_id', recorded: '"a"', received: '"b"' });
  });
});

describe('frame redaction', () => {
  it('a key-shaped value or credential field in a text frame is removed even when the handshake carried no key', () => {
    const key = 'sk-proj-ZZZZ0123456789abcdefghijklmnop';
    const t = wsTraceOf(raw({ requestHeaders: {}, frames: [{ from: 'client', at: 1, binary: false, bytes: Buffer.from(JSON.stringify({ type: 'x', text: `my key is ${key}`, api_key: 'hunter2-long-secret' })) }] }));
    const text = t.websocket!.frames[0]!.text!;
    expect(text).not.toContain(key);
    expect(text).not.toContain('hunter2');
    expect(JSON.parse(text).type).toBe('x');
  });
});
