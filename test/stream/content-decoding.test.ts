import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../src/stream/bytes.js';
import { createContentDecoding, createEncodedDecoder } from '../../src/stream/content-decoding.js';
import type { Frame } from '../../src/stream/frame.js';
import { createSseDecoder } from '../../src/stream/sse-decoder.js';
import { encodeSseEvent } from '../../src/stream/sse-encoder.js';
import { cutsArb, decodeReads, enc, splitAt } from './helpers.js';

const COMPRESS = {
  gzip: (b: Uint8Array) => gzipSync(b),
  'x-gzip': (b: Uint8Array) => gzipSync(b),
  deflate: (b: Uint8Array) => deflateSync(b),
  // Some servers send bare deflate under `deflate`.
  'deflate (raw)': (b: Uint8Array) => deflateRawSync(b),
  br: (b: Uint8Array) => brotliCompressSync(b),
};
const codingOf = (name: string) => name.split(' ')[0]!;

function inflateAll(coding: string, reads: readonly Uint8Array[]): Uint8Array {
  const d = createContentDecoding(coding)!;
  return concatBytes([...reads.map((r) => d.push(r)), d.end()]);
}

describe('createContentDecoding', () => {
  it('knows gzip, x-gzip, deflate and br, in any case, and nothing else', () => {
    for (const c of ['gzip', 'X-GZIP', 'deflate', ' br ']) expect(createContentDecoding(c)).toBeDefined();
    for (const c of ['identity', 'compress', 'zstd', 'gzip, br', '']) expect(createContentDecoding(c)).toBeUndefined();
  });

  it('gives each read its output as that read arrives, not at the end', () => {
    const text = enc('data: 1\n\n'.repeat(200));
    const gz = gzipSync(text);
    const d = createContentDecoding('gzip')!;
    const before = d.push(gz.subarray(0, gz.length - 8));
    // Everything but the 8-byte trailer (CRC, size) is in: all the text is out.
    expect(before.length).toBe(text.length);
  });

  it('throws for a cut or corrupt body, at the read or at end()', () => {
    const gz = gzipSync(enc('hello'.repeat(100)));
    const cut = createContentDecoding('gzip')!;
    cut.push(gz.subarray(0, gz.length - 4));
    expect(() => cut.end()).toThrow();
    expect(() => createContentDecoding('gzip')!.push(enc('not gzip at all'))).toThrow();
  });

  for (const [name, compress] of Object.entries(COMPRESS)) {
    it(`${name}: any bytes, compressed, come back whole for any split of the compressed body`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 3000 }), cutsArb, (bytes, cuts) => {
          const z = compress(bytes);
          expect(inflateAll(codingOf(name), splitAt(z, cuts))).toEqual(bytes);
        }),
        { numRuns: 60 },
      );
    });
  }
});

describe('createEncodedDecoder', () => {
  const eventsArb = fc.array(fc.record({ event: fc.constantFrom('delta', 'ping'), data: fc.string({ maxLength: 40 }) }), { minLength: 1, maxLength: 12 });

  it('gives the frames of the plain body for any split of the compressed one, each dated from the compressed read that completed it', () => {
    fc.assert(
      fc.property(eventsArb, fc.constantFrom('gzip', 'deflate', 'br'), cutsArb, (events, coding, cuts) => {
        const plain = enc(events.map((e) => encodeSseEvent(e, '\r\n')).join(''));
        const z = COMPRESS[coding as keyof typeof COMPRESS](plain);
        const reads = splitAt(z, cuts);
        const d = createEncodedDecoder(createContentDecoding(coding)!, createSseDecoder());
        const frames: Frame[] = [];
        reads.forEach((r, i) => frames.push(...d.push(r, i)));
        frames.push(...d.end(reads.length));
        expect(d.failed).toBe(false);
        const want = decodeReads(createSseDecoder(), [plain]);
        expect(frames.map(({ at: _at, ...f }) => f)).toEqual(want);
        // A frame's time is a read that had arrived by then: never before the read holding its compressed end.
        const ats = frames.map((f) => f.at!);
        expect([...ats].sort((a, b) => a - b)).toEqual(ats);
        expect(ats.every((a) => a >= 0 && a <= reads.length)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('dates an event from the compressed read that completed it, not from when decoding reached the end', () => {
    const plain = enc('data: 1\n\ndata: 2\n\n');
    const z = gzipSync(plain);
    const d = createEncodedDecoder(createContentDecoding('gzip')!, createSseDecoder());
    // With a sync flush per read, both events are out once the deflate data is in (before the trailer).
    const got = d.push(z.subarray(0, z.length - 8), 5);
    expect(got.map((f) => [f.data, f.at])).toEqual([
      ['1', 5],
      ['2', 5],
    ]);
    expect(d.push(z.subarray(z.length - 8), 6)).toEqual([]);
    expect(d.end(7)).toEqual([]);
  });

  it('reports failure instead of throwing on a body that does not decompress, and gives no frames', () => {
    const d = createEncodedDecoder(createContentDecoding('gzip')!, createSseDecoder());
    expect(d.push(enc('data: 1\n\n'), 1)).toEqual([]);
    expect(d.end(2)).toEqual([]);
    expect(d.failed).toBe(true);
    expect(d.frames).toBe(0);
  });
});
