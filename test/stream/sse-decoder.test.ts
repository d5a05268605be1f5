import { describe, expect, it } from 'vitest';
import { createSseDecoder } from '../../src/stream/sse-decoder.js';
import { dec, decodeReads, enc, fieldsOf, rawOf, splitEvery } from './helpers.js';

const parse = (...reads: Array<string | Uint8Array>) =>
  decodeReads(createSseDecoder(), reads.map((r) => (typeof r === 'string' ? enc(r) : r)));

describe('createSseDecoder: WHATWG line rules', () => {
  it('parses event, data, id and retry from one block', () => {
    const frames = parse('event: delta\nid: 7\nretry: 1500\ndata: {"a":1}\n\n');
    expect(frames).toEqual([{ raw: enc('event: delta\nid: 7\nretry: 1500\ndata: {"a":1}\n\n'), event: 'delta', id: '7', retry: 1500, data: '{"a":1}' }]);
  });

  it('joins several data lines with LF', () => {
    expect(fieldsOf(parse('data: a\ndata:\ndata: b\n\n'))).toEqual([{ data: 'a\n\nb' }]);
  });

  it('accepts data with no space after the colon, and strips only one space', () => {
    expect(fieldsOf(parse('data:x\n\ndata:  y\n\n'))).toEqual([{ data: 'x' }, { data: ' y' }]);
  });

  it('treats a field without a colon as that field with an empty value', () => {
    // Two bare `data` lines make the buffer "\n\n"; dropping the last LF leaves "\n", which dispatches.
    expect(fieldsOf(parse('data\ndata\n\n'))).toEqual([{ data: '\n' }]);
    expect(fieldsOf(parse('event\ndata: x\n\n'))).toEqual([{ event: '', data: 'x' }]);
  });

  it('dispatches data "" for an empty `data:` or a bare `data` line, and nothing for a block without data (WPT format-field-data)', () => {
    expect(fieldsOf(parse('data\n\n', 'data:\n\n', 'event: e\n\n', 'data:\r\n\r\n'))).toEqual([{ data: '' }, { data: '' }, { event: 'e' }, { data: '' }]);
  });

  it('collects comments without their colon and still frames comment-only blocks', () => {
    expect(fieldsOf(parse(': keep-alive\n\n:x\ndata: 1\n\n'))).toEqual([{ comments: [' keep-alive'] }, { comments: ['x'], data: '1' }]);
  });

  it('ignores an id containing NUL, keeping an earlier valid id of the block', () => {
    expect(fieldsOf(parse('id: a\u0000b\ndata: 1\n\nid: ok\nid: b\u0000\ndata: 2\n\n'))).toEqual([{ data: '1' }, { id: 'ok', data: '2' }]);
  });

  it('accepts retry only when it is all ASCII digits', () => {
    const frames = parse('retry: 10a\n\nretry: -5\n\nretry:\n\nretry: 1.5\n\nretry: ٣\n\nretry: 0042\n\n');
    expect(fieldsOf(frames)).toEqual([{}, {}, {}, {}, {}, { retry: 42 }]);
  });

  it('ignores unknown fields and lets the last event field win', () => {
    expect(fieldsOf(parse('foo: bar\nEvent: no\nevent: a\nevent: b\ndata: 1\n\n'))).toEqual([{ event: 'b', data: '1' }]);
  });

  it('keeps a value containing colons whole', () => {
    expect(fieldsOf(parse('data: http://x:1/\n\n'))).toEqual([{ data: 'http://x:1/' }]);
  });
});

describe('createSseDecoder: line endings', () => {
  it('accepts CR-only line endings', () => {
    expect(fieldsOf(parse('event: a\rdata: 1\r\rdata: 2\r\r'))).toEqual([{ event: 'a', data: '1' }, { data: '2' }]);
  });

  it('accepts CRLF and mixed line endings', () => {
    expect(fieldsOf(parse('data: 1\r\ndata: 2\n\r\ndata: 3\r\n\r'))).toEqual([{ data: '1\n2' }, { data: '3' }]);
  });

  it('does not see a blank line in a CRLF split across two reads', () => {
    const frames = parse('data: 1\r', '\ndata: 2\r\n\r\n');
    expect(fieldsOf(frames)).toEqual([{ data: '1\n2' }]);
    expect(dec(rawOf(frames))).toBe('data: 1\r\ndata: 2\r\n\r\n');
  });

  it('holds a block ending on a read-final CR until the next read shows its LF, which joins the frame', () => {
    const d = createSseDecoder();
    expect(d.push(enc('data: 1\r\n\r'), 10)).toEqual([]);
    // The LF is the frame's last byte: the frame dates from the read that brought it.
    expect(d.push(enc('\ndata: 2\r\n\r\n'), 20)).toEqual([
      { raw: enc('data: 1\r\n\r\n'), data: '1', at: 20 },
      { raw: enc('data: 2\r\n\r\n'), data: '2', at: 20 },
    ]);
    expect(d.end(30)).toEqual([]);
  });

  it('releases a held block dated from its own read when the next read does not start with LF (bare CR)', () => {
    const d = createSseDecoder();
    expect(d.push(enc('data: 1\r\r'), 10)).toEqual([]);
    // An empty read tells nothing.
    expect(d.push(new Uint8Array(0), 15)).toEqual([]);
    expect(d.push(enc('data: 2\r\r'), 20)).toEqual([{ raw: enc('data: 1\r\r'), data: '1', at: 10 }]);
    expect(d.end(30)).toEqual([{ raw: enc('data: 2\r\r'), data: '2', at: 20 }]);
  });

  it('gives a split CRLF at the end of a body to the last frame: as many frames as events', () => {
    const d = createSseDecoder();
    expect(d.push(enc('data: 1\r\n\r'))).toEqual([]);
    expect(d.push(enc('\n'))).toEqual([{ raw: enc('data: 1\r\n\r\n'), data: '1' }]);
    expect(d.end()).toEqual([]);
  });

  it('stamps a partial remainder with the at given to end()', () => {
    const d = createSseDecoder();
    expect(d.push(enc('data: 1\n\nda'), 5)).toEqual([{ raw: enc('data: 1\n\n'), data: '1', at: 5 }]);
    expect(d.end(9)).toEqual([{ raw: enc('da'), partial: true, at: 9 }]);
  });

  it('parses the same whatever the read size', () => {
    const text = ': c\r\nevent: ü\rdata: 😀\n\ndata: 2\r\r\n\n';
    const whole = parse(text);
    for (const size of [1, 2, 3]) expect(fieldsOf(decodeReads(createSseDecoder(), splitEvery(enc(text), size)))).toEqual(fieldsOf(whole));
  });
});

describe('createSseDecoder: bytes', () => {
  it('strips a leading BOM for parsing but keeps it in raw', () => {
    const frames = parse('\uFEFFdata: 1\n\n');
    expect(frames).toEqual([{ raw: enc('\uFEFFdata: 1\n\n'), data: '1' }]);
  });

  it('strips a BOM split across reads', () => {
    const bytes = enc('\uFEFFevent: e\n\n');
    expect(fieldsOf(decodeReads(createSseDecoder(), splitEvery(bytes, 1)))).toEqual([{ event: 'e' }]);
  });

  it('strips only the first BOM, and only at the start of the stream', () => {
    expect(fieldsOf(parse('\uFEFF\uFEFFdata: 1\n\n'))).toEqual([{}]);
    expect(fieldsOf(parse('data: 1\n\n\uFEFFdata: 2\n\n'))).toEqual([{ data: '1' }, {}]);
    expect(fieldsOf(parse('data: \uFEFFx\n\n'))).toEqual([{ data: '\uFEFFx' }]);
  });

  it('treats a BOM-only first line as blank', () => {
    expect(parse('\uFEFF\ndata: 1\n\n')).toEqual([{ raw: enc('\uFEFF\n') }, { raw: enc('data: 1\n\n'), data: '1' }]);
  });

  it('decodes a multi-byte character split across reads', () => {
    const bytes = enc('data: 😀é\n\n');
    // Cut inside the 4-byte emoji and inside the 2-byte é.
    const frames = parse(bytes.subarray(0, 7), bytes.subarray(7, 11), bytes.subarray(11, 12), bytes.subarray(12));
    expect(fieldsOf(frames)).toEqual([{ data: '😀é' }]);
  });

  it('replaces invalid UTF-8 with U+FFFD, as the spec decoder does', () => {
    expect(fieldsOf(parse(Uint8Array.of(0x64, 0x61, 0x74, 0x61, 0x3a, 0xff, 0x0a, 0x0a)))).toEqual([{ data: '\uFFFD' }]);
  });
});

describe('createSseDecoder: end of body', () => {
  it('returns an unterminated event as a partial frame with its complete lines parsed', () => {
    const d = createSseDecoder();
    expect(fieldsOf(d.push(enc('data: 1\n\nevent: e\ndata: 2\ndata: tru')))).toEqual([{ data: '1' }]);
    expect(d.end()).toEqual([{ raw: enc('event: e\ndata: 2\ndata: tru'), partial: true, event: 'e', data: '2' }]);
  });

  it('returns nothing from end() when the body ended on a blank line', () => {
    const d = createSseDecoder();
    d.push(enc('data: 1\n\n'));
    expect(d.end()).toEqual([]);
  });

  it('copies bytes, so a caller reusing its buffer cannot change emitted or pending frames', () => {
    const d = createSseDecoder();
    const buf = enc('data: 1\n\ndata: 2');
    const [frame] = d.push(buf);
    buf.fill(0x78);
    expect(dec(frame!.raw)).toBe('data: 1\n\n');
    expect(d.push(enc('\n\n'))).toEqual([{ raw: enc('data: 2\n\n'), data: '2' }]);
  });

  it('starts a fresh stream after end()', () => {
    const d = createSseDecoder();
    d.push(enc('data: x'));
    d.end();
    expect(fieldsOf(decodeReads(d, [enc('\uFEFFdata: 1\n\n')]))).toEqual([{ data: '1' }]);
  });
});
