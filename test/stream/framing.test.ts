import { describe, expect, it } from 'vitest';
import { createDecoder, detectFraming, splitFrames } from '../../src/stream/framing.js';
import { enc, fieldsOf } from './helpers.js';

describe('detectFraming', () => {
  it.each([
    ['text/event-stream', 'sse'],
    ['Text/Event-Stream; charset=utf-8', 'sse'],
    [' text/event-stream ;charset=utf-8', 'sse'],
    ['application/x-ndjson', 'ndjson'],
    ['application/ndjson', 'ndjson'],
    ['application/jsonl; charset=utf-8', 'ndjson'],
    ['application/x-jsonlines', 'ndjson'],
    ['application/json', 'raw'],
    ['text/plain', 'raw'],
    ['text/event-streamx', 'raw'],
    ['', 'raw'],
    [undefined, 'raw'],
  ] as const)('%j -> %s', (contentType, framing) => {
    expect(detectFraming(contentType)).toBe(framing);
  });
});

describe('createDecoder', () => {
  it('returns a decoder of the requested framing', () => {
    for (const framing of ['sse', 'ndjson', 'raw'] as const) expect(createDecoder(framing).framing).toBe(framing);
  });
});

describe('splitFrames', () => {
  it('decodes a whole body, including the partial remainder', () => {
    expect(fieldsOf(splitFrames('sse', enc('data: 1\n\ndata: 2')))).toEqual([{ data: '1' }, { partial: true }]);
    expect(fieldsOf(splitFrames('ndjson', enc('1\n2')))).toEqual([{ data: '1' }, { data: '2', partial: true }]);
    expect(splitFrames('raw', enc('abc'))).toEqual([{ raw: enc('abc') }]);
  });

  it('returns no frames for an empty body', () => {
    for (const framing of ['sse', 'ndjson', 'raw'] as const) expect(splitFrames(framing, new Uint8Array(0))).toEqual([]);
  });
});
