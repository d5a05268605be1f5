import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToStored, concatBytes, storedToBytes } from '../../src/stream/bytes.js';
import { enc } from './helpers.js';

describe('bytesToStored / storedToBytes', () => {
  it('stores valid UTF-8 as text, BOM included', () => {
    expect(bytesToStored(enc('\uFEFFdata: 😀\n\n'))).toEqual({ raw: '\uFEFFdata: 😀\n\n' });
    expect(bytesToStored(new Uint8Array(0))).toEqual({ raw: '' });
  });

  it('stores invalid UTF-8 (a split character, a stray byte) as base64', () => {
    expect(bytesToStored(enc('😀').subarray(0, 2))).toEqual({ raw: '8J8=', raw_encoding: 'base64' });
    expect(bytesToStored(Uint8Array.of(0xff))).toEqual({ raw: '/w==', raw_encoding: 'base64' });
  });

  it('uses only the viewed bytes of a subarray', () => {
    const view = Uint8Array.of(0xff, 0xfe, 0x61, 0xff).subarray(1, 3);
    expect(storedToBytes(bytesToStored(view).raw, bytesToStored(view).raw_encoding)).toEqual(Uint8Array.of(0xfe, 0x61));
  });

  it('round-trips any bytes exactly', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string({ unit: 'binary' }).map(enc)), (bytes) => {
        const stored = bytesToStored(bytes);
        expect(storedToBytes(stored.raw, stored.raw_encoding)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips any text through storage unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(bytesToStored(storedToBytes(text))).toEqual({ raw: text });
      }),
    );
  });
});

describe('concatBytes', () => {
  it('joins pieces and a tail into a fresh array', () => {
    const tail = Uint8Array.of(3);
    const out = concatBytes([Uint8Array.of(1), Uint8Array.of(2)], tail);
    expect(out).toEqual(Uint8Array.of(1, 2, 3));
    const copy = concatBytes([], tail);
    tail[0] = 9;
    expect(copy).toEqual(Uint8Array.of(3));
  });
});
