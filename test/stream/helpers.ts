import fc from 'fast-check';
import type { Frame, FrameDecoder } from '../../src/stream/frame.js';
import { concatBytes } from '../../src/stream/bytes.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder('utf-8', { ignoreBOM: true }).decode(b);

/** Cut `bytes` at the given offsets (any order, any values; taken modulo length + 1). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.slice(prev, p));
    prev = p;
  }
  out.push(bytes.slice(prev));
  return out;
}

/** Fixed-size reads, as undici's eventsource tests do with 1, 2 and 3 bytes. */
export function splitEvery(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size));
  return out;
}

/** Feed every read, then end(); returns all frames in order. */
export function decodeReads(decoder: FrameDecoder, reads: readonly Uint8Array[]): Frame[] {
  const frames: Frame[] = [];
  for (const r of reads) frames.push(...decoder.push(r));
  frames.push(...decoder.end());
  return frames;
}

export const rawOf = (frames: readonly Frame[]): Uint8Array => concatBytes(frames.map((f) => f.raw));

/** Everything but the bytes, to compare the parse of two splits. */
export const fieldsOf = (frames: readonly Frame[]): Array<Omit<Frame, 'raw'>> => frames.map(({ raw: _raw, ...rest }) => rest);

/** Arbitrary cut points: empty reads included, since a stream may deliver them. */
export const cutsArb = fc.array(fc.nat(), { maxLength: 40 });

/** Bytes rich in the characters the parsers care about, plus anything at all. */
export const trickyBytesArb = fc
  .array(
    fc.oneof(
      fc.constantFrom(0x0a, 0x0d, 0x3a, 0x20, 0x00, 0xef, 0xbb, 0xbf, 0xf0, 0x9f, 0x98, 0x80),
      fc.constantFrom(...[...'data event id retry x'].map((c) => c.charCodeAt(0))),
      fc.integer({ min: 0, max: 255 }),
    ),
    { maxLength: 300 },
  )
  .map((a) => Uint8Array.from(a));
