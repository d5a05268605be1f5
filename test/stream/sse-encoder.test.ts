import { describe, expect, it } from 'vitest';
import { isTraceForgeError } from '../../src/errors.js';
import { encodeNdjsonLine, encodeSseEvent } from '../../src/stream/sse-encoder.js';

describe('encodeSseEvent', () => {
  it('writes fields in a fixed order and ends the block with a blank line', () => {
    expect(encodeSseEvent({ data: 'x', retry: 5, id: '1', event: 'e', comments: [' hi'] })).toBe(': hi\nevent: e\nid: 1\nretry: 5\ndata: x\n\n');
  });

  it('splits multi-line data into data lines, whatever the line break', () => {
    expect(encodeSseEvent({ data: 'a\nb\r\nc\rd' })).toBe('data: a\ndata: b\ndata: c\ndata: d\n\n');
    expect(encodeSseEvent({ data: '\n' })).toBe('data:\ndata:\n\n');
  });

  it('uses the requested line ending everywhere', () => {
    expect(encodeSseEvent({ event: 'e', data: 'a\nb' }, '\r\n')).toBe('event: e\r\ndata: a\r\ndata: b\r\n\r\n');
    expect(encodeSseEvent({ data: 'a' }, '\r')).toBe('data: a\r\r');
    expect(encodeSseEvent({})).toBe('\n');
  });

  it('splits a comment with line breaks into several comments', () => {
    expect(encodeSseEvent({ comments: ['a\nb'] })).toBe(':a\n:b\n\n');
  });

  it.each([
    [{ event: 'a\nb' }, /event/],
    [{ id: 'a\rb' }, /id/],
    [{ id: 'a\0b' }, /NUL/],
    [{ retry: -1 }, /retry/],
    [{ retry: 1.5 }, /retry/],
  ])('rejects %j, which a reader could not get back', (ev, message) => {
    let caught: unknown;
    try {
      encodeSseEvent(ev);
    } catch (e) {
      caught = e;
    }
    expect(isTraceForgeError(caught) && caught.code).toBe('E_USAGE');
    expect((caught as Error).message).toMatch(message);
  });
});

describe('encodeNdjsonLine', () => {
  it('writes one JSON line, escaping line breaks inside strings', () => {
    expect(encodeNdjsonLine({ a: 'x\ny' })).toBe('{"a":"x\\ny"}\n');
    expect(encodeNdjsonLine('\u2028')).toBe('"\u2028"\n');
  });

  it('rejects a value JSON cannot represent', () => {
    expect(() => encodeNdjsonLine(undefined)).toThrow(/NDJSON/);
  });
});
