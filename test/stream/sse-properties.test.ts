import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/stream/frame.js';
import { createSseDecoder } from '../../src/stream/sse-decoder.js';
import { encodeSseEvent, type SseEventInit, type SseLineEnding } from '../../src/stream/sse-encoder.js';
import { cutsArb, decodeReads, enc, fieldsOf, rawOf, splitAt, splitEvery, trickyBytesArb } from './helpers.js';

const char = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom('😀', '👩‍💻', 'é', '中', '\u2028', '\uFEFF', ':', ' ', '\0') },
);
const lineArb = fc.string({ unit: char, maxLength: 12 }).map((s) => s.replace(/[\r\n]/g, ''));
const multiLineArb = fc.string({ unit: fc.oneof(char, fc.constantFrom('\n', '\r', '\r\n')), maxLength: 20 });

const eventArb: fc.Arbitrary<SseEventInit> = fc.record(
  {
    event: lineArb,
    data: multiLineArb,
    id: lineArb.map((s) => s.replace(/\0/g, '')),
    retry: fc.maxSafeNat(),
    comments: fc.array(lineArb, { maxLength: 3 }),
  },
  { requiredKeys: [] },
);
const eolArb = fc.constantFrom<SseLineEnding>('\n', '\r\n', '\r');

/** What a reader should see for an event we wrote. */
function expected(ev: SseEventInit): Omit<Frame, 'raw'> {
  const out: Omit<Frame, 'raw'> = {};
  if (ev.event !== undefined) out.event = ev.event;
  // Any data line dispatches, an empty one with data "" (WHATWG).
  if (ev.data !== undefined) out.data = ev.data.replace(/\r\n|\r/g, '\n');
  if (ev.id !== undefined) out.id = ev.id;
  if (ev.retry !== undefined) out.retry = ev.retry;
  if (ev.comments !== undefined && ev.comments.length > 0) out.comments = ev.comments;
  return out;
}

type Stream = { events: SseEventInit[]; eol: SseLineEnding; bom: boolean };
/** A BOM with no event after it is an unterminated remainder: one partial frame holding its bytes. */
const expectedStream = ({ events, bom }: Stream): Array<Omit<Frame, 'raw'>> =>
  events.length === 0 && bom ? [{ partial: true }] : events.map(expected);

const streamArb = fc.record({ events: fc.array(eventArb, { maxLength: 8 }), eol: eolArb, bom: fc.boolean() });
const encodeStream = ({ events, eol, bom }: Stream): Uint8Array =>
  enc((bom ? '\uFEFF' : '') + events.map((e) => encodeSseEvent(e, eol)).join(''));

describe('sse decoder properties', () => {
  it('decodes encoded events back, identically for any split of the bytes', () => {
    fc.assert(
      fc.property(streamArb, cutsArb, (stream, cuts) => {
        const bytes = encodeStream(stream);
        const want = expectedStream(stream);
        const whole = decodeReads(createSseDecoder(), [bytes]);
        expect(fieldsOf(whole)).toEqual(want);
        const split = decodeReads(createSseDecoder(), splitAt(bytes, cuts));
        expect(fieldsOf(split)).toEqual(want);
        expect(rawOf(split)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same events with 1-, 2- and 3-byte reads', () => {
    fc.assert(
      fc.property(streamArb, fc.constantFrom(1, 2, 3), (stream, size) => {
        const bytes = encodeStream(stream);
        const frames = decodeReads(createSseDecoder(), splitEvery(bytes, size));
        expect(fieldsOf(frames)).toEqual(expectedStream(stream));
        expect(rawOf(frames)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('emits each frame with its own bytes, dated from the read that held its last byte', () => {
    fc.assert(
      fc.property(streamArb, (stream) => {
        const d = createSseDecoder();
        if (stream.events.length === 0 && stream.bom) d.push(enc('\uFEFF'), -1);
        const blocks = stream.events.map((e, i) => (i === 0 && stream.bom ? '\uFEFF' : '') + encodeSseEvent(e, stream.eol));
        const frames: Frame[] = [];
        blocks.forEach((block, i) => frames.push(...d.push(enc(block), i)));
        frames.push(...d.end(blocks.length));
        if (blocks.length === 0 && stream.bom) expect(frames).toEqual([{ raw: enc('\uFEFF'), partial: true, at: 0 }]);
        else expect(frames.map((f) => [f.raw, f.at])).toEqual(blocks.map((b, i) => [enc(b), i]));
      }),
    );
  });

  it('keeps every byte and parses the same for any input bytes under any split', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), trickyBytesArb), cutsArb, (bytes, cuts) => {
        const whole = decodeReads(createSseDecoder(), [bytes]);
        const split = decodeReads(createSseDecoder(), splitAt(bytes, cuts));
        expect(rawOf(whole)).toEqual(bytes);
        expect(rawOf(split)).toEqual(bytes);
        expect(fieldsOf(split)).toEqual(fieldsOf(whole));
        // Only the last frame may be partial.
        expect(split.slice(0, -1).some((f) => f.partial)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps every byte for any input under 1-byte reads', () => {
    fc.assert(
      fc.property(trickyBytesArb, (bytes) => {
        const whole = decodeReads(createSseDecoder(), [bytes]);
        const split = decodeReads(createSseDecoder(), splitEvery(bytes, 1));
        expect(rawOf(split)).toEqual(bytes);
        expect(fieldsOf(split)).toEqual(fieldsOf(whole));
      }),
    );
  });
});
