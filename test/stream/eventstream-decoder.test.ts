import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEventStreamDecoder } from '../../src/stream/eventstream-decoder.js';
import { detectFraming, createDecoder } from '../../src/stream/framing.js';
import { concatBytes } from '../../src/stream/bytes.js';
import { cutsArb, decodeReads, fieldsOf, rawOf, splitAt, splitEvery } from './helpers.js';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const str = (value: string) => ({ type: 'string' as const, value });

function message(headers: Record<string, string>, payload: string): Uint8Array {
  return codec.encode({ headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, str(v)])), body: fromUtf8(payload) });
}
const event = (type: string, payload: string) => message({ ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' }, payload);

describe('createEventStreamDecoder', () => {
  it('is picked for application/vnd.amazon.eventstream', () => {
    expect(detectFraming('application/vnd.amazon.eventstream')).toBe('eventstream');
    expect(createDecoder('eventstream').framing).toBe('eventstream');
  });

  it('gives one frame per message: exact bytes, :event-type, the payload as text, dated from the read that completed it', () => {
    const a = event('messageStart', '{"role":"assistant"}');
    const b = event('contentBlockDelta', '{"delta":{"text":"Hé 😀"}}');
    const d = createEventStreamDecoder();
    const body = concatBytes([a, b]);
    expect(d.push(body.subarray(0, a.length - 1), 1)).toEqual([]);
    expect(d.push(body.subarray(a.length - 1, a.length + 5), 2)).toEqual([{ raw: a, binary: true, event: 'messageStart', data: '{"role":"assistant"}', at: 2 }]);
    expect(d.push(body.subarray(a.length + 5), 3)).toEqual([{ raw: b, binary: true, event: 'contentBlockDelta', data: '{"delta":{"text":"Hé 😀"}}', at: 3 }]);
    expect(d.end(4)).toEqual([]);
  });

  it('names an exception by :exception-type and an error by :error-code', () => {
    const ex = message({ ':exception-type': 'throttlingException', ':content-type': 'application/json', ':message-type': 'exception' }, '{"message":"slow down"}');
    const err = message({ ':error-code': 'InternalFailure', ':error-message': 'boom', ':message-type': 'error' }, '');
    expect(fieldsOf(decodeReads(createEventStreamDecoder(), [ex, err]))).toEqual([
      { binary: true, event: 'throttlingException', data: '{"message":"slow down"}' },
      { binary: true, event: 'InternalFailure', data: '' },
    ]);
  });

  it('keeps a message cut by the end of the body as a partial frame with its bytes', () => {
    const a = event('messageStop', '{"stopReason":"end_turn"}');
    const d = createEventStreamDecoder();
    expect(d.push(a.subarray(0, 20), 1)).toEqual([]);
    expect(d.end(2)).toEqual([{ raw: a.subarray(0, 20), partial: true, binary: true, at: 2 }]);
  });

  it('keeps a message with a bad CRC as a partial frame and goes on with the next', () => {
    const bad = event('a', '{"x":1}').slice();
    bad[bad.length - 6]! ^= 0xff;
    const good = event('b', '{}');
    expect(fieldsOf(decodeReads(createEventStreamDecoder(), [concatBytes([bad, good])]))).toEqual([{ partial: true, binary: true }, { binary: true, event: 'b', data: '{}' }]);
  });

  it('keeps everything after a prelude it cannot believe as raw partial frames, one per read, without throwing', () => {
    const good = event('a', '{}');
    const junk = new TextEncoder().encode('<html>not an event stream</html>');
    const frames = decodeReads(createEventStreamDecoder(), [good, junk, junk]);
    expect(fieldsOf(frames)).toEqual([{ binary: true, event: 'a', data: '{}' }, { partial: true, binary: true }, { partial: true, binary: true }]);
    expect(rawOf(frames)).toEqual(concatBytes([good, junk, junk]));
  });
});

const headerValue = fc.string({ maxLength: 20 });
const messageArb = fc.record({
  type: fc.constantFrom('event', 'exception', 'error'),
  name: fc.string({ minLength: 1, maxLength: 30 }),
  payload: fc.string({ unit: fc.oneof(fc.string({ minLength: 1, maxLength: 1 }), fc.constantFrom('é', '😀', '\0', '\n')), maxLength: 200 }),
  extra: headerValue,
});
type Msg = { type: string; name: string; payload: string; extra: string };
const encodeMsg = (m: Msg) =>
  m.type === 'event'
    ? message({ ':event-type': m.name, ':message-type': 'event', 'x-extra': m.extra }, m.payload)
    : m.type === 'exception'
      ? message({ ':exception-type': m.name, ':message-type': 'exception' }, m.payload)
      : message({ ':error-code': m.name, ':message-type': 'error' }, m.payload);

describe('eventstream decoder properties', () => {
  it('decodes the same frames for any split of any sequence of messages, and keeps every byte', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { maxLength: 8 }), cutsArb, (msgs, cuts) => {
        const encoded = msgs.map(encodeMsg);
        const body = concatBytes(encoded);
        const whole = decodeReads(createEventStreamDecoder(), [body]);
        expect(whole.map((f) => f.raw)).toEqual(encoded);
        expect(fieldsOf(whole)).toEqual(msgs.map((m) => ({ binary: true, event: m.name, data: m.payload })));
        const split = decodeReads(createEventStreamDecoder(), splitAt(body, cuts));
        expect(fieldsOf(split)).toEqual(fieldsOf(whole));
        expect(rawOf(split)).toEqual(body);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws and keeps every byte for corrupted or arbitrary input under 1-byte and random reads', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { maxLength: 4 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }), cutsArb, (msgs, flips, cuts) => {
        const body = concatBytes(msgs.map(encodeMsg)).slice();
        for (const [at, x] of flips) if (body.length > 0) body[at % body.length]! ^= x;
        expect(rawOf(decodeReads(createEventStreamDecoder(), splitAt(body, cuts)))).toEqual(body);
        expect(rawOf(decodeReads(createEventStreamDecoder(), splitEvery(body, 1)))).toEqual(body);
      }),
      { numRuns: 300 },
    );
  });
});
