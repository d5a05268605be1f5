import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNdjsonDecoder } from '../../src/stream/ndjson-decoder.js';
import { encodeNdjsonLine } from '../../src/stream/sse-encoder.js';
import { cutsArb, decodeReads, enc, fieldsOf, rawOf, splitAt, splitEvery, trickyBytesArb } from './helpers.js';

const parse = (...reads: string[]) => decodeReads(createNdjsonDecoder(), reads.map(enc));

describe('createNdjsonDecoder', () => {
  it('emits one frame per LF-terminated line, CR kept in raw but not in data', () => {
    expect(parse('{"a":1}\n{"b":2}\r\n')).toEqual([
      { raw: enc('{"a":1}\n'), data: '{"a":1}' },
      { raw: enc('{"b":2}\r\n'), data: '{"b":2}' },
    ]);
  });

  it('attaches blank and whitespace-only lines to the next frame', () => {
    expect(parse('\n1\n\r\n \t\n2\n')).toEqual([
      { raw: enc('\n1\n'), data: '1' },
      { raw: enc('\r\n \t\n2\n'), data: '2' },
    ]);
  });

  it('returns an unterminated last line as partial, with blank lines before it', () => {
    const d = createNdjsonDecoder();
    expect(fieldsOf(d.push(enc('1\n\n{"x":')))).toEqual([{ data: '1' }]);
    expect(d.end()).toEqual([{ raw: enc('\n{"x":'), data: '{"x":', partial: true }]);
  });

  it('returns trailing blank lines as a partial frame without data', () => {
    const d = createNdjsonDecoder();
    d.push(enc('1\n\n\r\n'));
    expect(d.end()).toEqual([{ raw: enc('\n\r\n'), partial: true }]);
  });

  it('returns nothing from end() after a complete last line', () => {
    const d = createNdjsonDecoder();
    d.push(enc('1\n'));
    expect(d.end()).toEqual([]);
  });

  it('strips a leading BOM from the first line only, split or not', () => {
    const bytes = enc('\uFEFF{}\n\uFEFF{}\n');
    const want = [{ data: '{}' }, { data: '\uFEFF{}' }];
    expect(fieldsOf(decodeReads(createNdjsonDecoder(), [bytes]))).toEqual(want);
    expect(fieldsOf(decodeReads(createNdjsonDecoder(), splitEvery(bytes, 1)))).toEqual(want);
  });

  it('decodes a multi-byte character split across reads', () => {
    const bytes = enc('"😀"\n');
    expect(fieldsOf(decodeReads(createNdjsonDecoder(), [bytes.subarray(0, 3), bytes.subarray(3)]))).toEqual([{ data: '"😀"' }]);
  });

  it('decodes encoded JSON values back, identically for any split', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 10 }), fc.boolean(), cutsArb, (values, crlf, cuts) => {
        const text = values.map((v) => encodeNdjsonLine(v).replace(/\n$/, crlf ? '\r\n' : '\n')).join('');
        const bytes = enc(text);
        const frames = decodeReads(createNdjsonDecoder(), splitAt(bytes, cuts));
        expect(frames.map((f) => JSON.parse(f.data!))).toEqual(values.map((v) => JSON.parse(JSON.stringify(v))));
        expect(frames.every((f) => !f.partial)).toBe(true);
        expect(rawOf(frames)).toEqual(bytes);
      }),
    );
  });

  it('keeps every byte and parses the same for any bytes under any split', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), trickyBytesArb), cutsArb, fc.constantFrom(0, 1, 2, 3), (bytes, cuts, size) => {
        const whole = decodeReads(createNdjsonDecoder(), [bytes]);
        const split = decodeReads(createNdjsonDecoder(), size === 0 ? splitAt(bytes, cuts) : splitEvery(bytes, size));
        expect(rawOf(whole)).toEqual(bytes);
        expect(rawOf(split)).toEqual(bytes);
        expect(fieldsOf(split)).toEqual(fieldsOf(whole));
        expect(split.slice(0, -1).some((f) => f.partial)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
