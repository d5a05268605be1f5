/**
 * The 57 captured provider streams (fixtures/third-party-streams) decoded at every 2-way split (see
 * below for frames over 1 KiB) and byte by byte must give exactly the frames (bytes and fields) of decoding each body whole, and the
 * frames' bytes must concatenate back to the body.
 *
 * Every 2-way split of a 200 KB body would cost O(n^2); a decoder holds nothing across a frame
 * boundary that lies inside a read (only the stream's first line may strip a BOM), so a cut inside
 * frame i is decoded over frames i-1..i+1 alone. The test checks that premise too: that window decoded
 * whole gives back exactly frames i-1..i+1.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../src/stream/bytes.js';
import { createContentDecoding, createEncodedDecoder } from '../../src/stream/content-decoding.js';
import type { Frame } from '../../src/stream/frame.js';
import { createDecoder, detectFraming, splitFrames } from '../../src/stream/framing.js';
import { capturedNames, type CapturedMeta } from '../providers/captured.js';
import { decodeReads, splitEvery } from './helpers.js';

const DIR = new URL('../../fixtures/third-party-streams/', import.meta.url);

function load(name: string) {
  const meta = JSON.parse(readFileSync(new URL(`${name}/meta.json`, DIR), 'utf8')) as CapturedMeta;
  const wire = new Uint8Array(readFileSync(new URL(`${name}/body.bin`, DIR)));
  const h = (k: string) => meta.response.headers.find(([n]) => n.toLowerCase() === k)?.[1];
  const encoding = h('content-encoding');
  const body = encoding ? new Uint8Array(gunzipSync(wire)) : wire;
  return { framing: detectFraming(h('content-type')), body, wire, encoding };
}

/** Frames as comparable plain values: bytes as hex, every field kept. */
const plain = (frames: readonly Frame[]) => frames.map(({ raw, ...rest }) => ({ raw: Buffer.from(raw).toString('hex'), ...rest }));

function equalFrame(a: Frame, b: Frame): boolean {
  if (!Buffer.from(a.raw.buffer, a.raw.byteOffset, a.raw.byteLength).equals(b.raw)) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  keys.delete('raw');
  for (const k of keys) {
    const x = a[k as keyof Frame];
    const y = b[k as keyof Frame];
    if (x !== y && JSON.stringify(x) !== JSON.stringify(y)) return false;
  }
  return true;
}

/** Same frames, raw and fields: a cheap check, and a readable diff only when they differ. */
function same(got: readonly Frame[], want: readonly Frame[], where: string): void {
  if (got.length !== want.length || got.some((f, i) => !equalFrame(f, want[i]!))) expect(plain(got), where).toEqual(plain(want));
}

const names = capturedNames();

describe('captured streams: the same frames whatever the reads', () => {
  it('has the 57 captured streams', () => expect(names).toHaveLength(57));

  it.each(names)('%s: whole, byte by byte and at every 2-way split', (name) => {
    const { framing, body } = load(name);
    const whole = splitFrames(framing, body);
    expect(Buffer.from(concatBytes(whole.map((f) => f.raw))).equals(Buffer.from(body))).toBe(true);
    // A complete capture ends on a frame boundary: no partial frame.
    if (framing !== 'raw') expect(whole.some((f) => f.partial)).toBe(false);

    same(decodeReads(createDecoder(framing), splitEvery(body, 1)), framing === 'raw' ? splitEvery(body, 1).map((raw) => ({ raw })) : whole, `${name} byte by byte`);
    if (framing === 'raw') return;

    const starts: number[] = [];
    let at = 0;
    for (const f of whole) {
      starts.push(at);
      at += f.raw.length;
    }
    for (let i = 0; i < whole.length; i++) {
      const lo = i > 0 ? i - 1 : 0;
      const hi = Math.min(whole.length, i + 2);
      const from = starts[lo]!;
      const to = hi < whole.length ? starts[hi]! : body.length;
      const window = body.subarray(from, to);
      const want = whole.slice(lo, hi);
      same(splitFrames(framing, window), want, `${name}: frames ${lo}..${hi - 1} decoded alone`);
      // Every cut inside frame i or at its end (the end of the body excepted). Inside a frame over 1 KiB
      // (Anthropic's web search results run to 40 KB in one event), where each cut costs the whole frame
      // again: every cut in its first and last 256 bytes (field names, the event line, the delimiter), at
      // each CR, LF and non-ASCII byte, and every 31st byte of the plain ASCII between them, where one cut
      // is like its neighbours (a decoder keeps a split line's bytes and nothing else).
      const first = starts[i]!;
      const end = first + whole[i]!.raw.length;
      const big = end - first > 1024;
      for (let k = first + 1; k <= end && k < body.length; k++) {
        if (big && k - first > 256 && end - k > 256 && k % 31 !== 0 && body[k - 1]! < 0x80 && body[k]! < 0x80 && ![body[k - 1], body[k]].some((b) => b === 0x0a || b === 0x0d)) continue;
        const cut = k - from;
        same(decodeReads(createDecoder(framing), [window.subarray(0, cut), window.subarray(cut)]), want, `${name}: split at byte ${k}`);
      }
    }
  });

  it('anthropic-tool-use-gzip: the compressed body at every 2-way split gives the frames of the plain body', () => {
    const { framing, body, wire, encoding } = load('anthropic-tool-use-gzip');
    expect(encoding).toBe('gzip');
    const whole = splitFrames(framing, body);
    for (let k = 0; k <= wire.length; k++) {
      const d = createEncodedDecoder(createContentDecoding('gzip')!, createDecoder(framing));
      const frames = decodeReads(d, [wire.subarray(0, k), wire.subarray(k)]);
      expect(d.failed).toBe(false);
      same(frames, whole, `gzip split at ${k}`);
    }
  });
});
