import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRawDecoder } from '../../src/stream/raw-decoder.js';
import { cutsArb, decodeReads, rawOf, splitAt } from './helpers.js';

describe('createRawDecoder', () => {
  it('emits one frame per non-empty read and nothing at end', () => {
    const d = createRawDecoder();
    expect(d.push(Uint8Array.of(1, 2))).toEqual([{ raw: Uint8Array.of(1, 2) }]);
    expect(d.push(new Uint8Array(0))).toEqual([]);
    expect(d.end()).toEqual([]);
  });

  it('copies each read', () => {
    const buf = Uint8Array.of(1, 2, 3);
    const [frame] = createRawDecoder().push(buf);
    buf.fill(9);
    expect(frame!.raw).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('keeps every byte, one frame per non-empty read, for any split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), cutsArb, (bytes, cuts) => {
        const reads = splitAt(bytes, cuts);
        const frames = decodeReads(createRawDecoder(), reads);
        expect(rawOf(frames)).toEqual(bytes);
        expect(frames.map((f) => f.raw)).toEqual(reads.filter((r) => r.length > 0));
      }),
    );
  });
});
