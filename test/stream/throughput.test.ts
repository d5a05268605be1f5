import { describe, expect, it } from 'vitest';
import { createNdjsonDecoder } from '../../src/stream/ndjson-decoder.js';
import { createSseDecoder } from '../../src/stream/sse-decoder.js';
import { enc, splitEvery } from './helpers.js';

/*
 * Size checks, not timing assertions: a decoder that re-concatenates its buffer on every read is
 * quadratic and these inputs then take minutes, so the test timeout catches it.
 */
const EVENTS = 1_000_000;
const ssebody = enc(Array.from({ length: EVENTS }, (_, i) => `data: {"i":${i}}\n\n`).join(''));

describe('decoder throughput', () => {
  it('decodes 1M small SSE events from one buffer', () => {
    const frames = createSseDecoder().push(ssebody);
    expect(frames).toHaveLength(EVENTS);
    expect(frames.at(-1)!.data).toBe(`{"i":${EVENTS - 1}}`);
  });

  it('decodes 1M small SSE events from 64 KiB reads', () => {
    const d = createSseDecoder();
    let count = 0;
    let bytes = 0;
    for (const read of splitEvery(ssebody, 65_536)) for (const f of d.push(read)) {
      count++;
      bytes += f.raw.length;
    }
    expect(count).toBe(EVENTS);
    expect(bytes).toBe(ssebody.length);
  });

  it('decodes a 1 MB line delivered one byte at a time', () => {
    const body = enc(`data: ${'x'.repeat(1_000_000)}\n\n`);
    const sse = createSseDecoder();
    const ndjson = createNdjsonDecoder();
    const sseFrames = [];
    const ndFrames = [];
    for (const read of splitEvery(body, 1)) {
      sseFrames.push(...sse.push(read));
      ndFrames.push(...ndjson.push(read));
    }
    expect(sseFrames.map((f) => f.data!.length)).toEqual([1_000_000]);
    // NDJSON keeps the final blank line for a next frame that never comes.
    expect(ndFrames.map((f) => f.raw.length)).toEqual([body.length - 1]);
  });

  it('decodes 1M NDJSON lines from one buffer', () => {
    const body = enc(Array.from({ length: EVENTS }, (_, i) => `{"i":${i}}\n`).join(''));
    const frames = createNdjsonDecoder().push(body);
    expect(frames).toHaveLength(EVENTS);
    expect(frames.at(-1)!.data).toBe(`{"i":${EVENTS - 1}}`);
  });
});
