/**
 * The replay server writes pieces straight to the socket once the headers are out (piece-writer.ts).
 * These read the raw wire, so a framing mistake (a missing chunk header, a stray terminator, a
 * content-length body with chunk sizes in it) cannot hide behind a forgiving client.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startReplayServer } from '../../src/replay/replay-server.js';
import { storedToBytes } from '../../src/stream/bytes.js';
import type { Trace } from '../../src/trace/types.js';
import { makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';

const bodyOf = (t: Trace): Buffer => Buffer.concat((t.chunks ?? t.http.body ?? []).map((c) => storedToBytes(c.raw, c.raw_encoding)));

/** Send raw request text on one connection and collect everything until the server closes or `until` holds. */
function exchange(port: number, text: string, until: (got: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const s = connect(port, '127.0.0.1', () => s.write(text));
    s.on('data', (c: Buffer) => {
      parts.push(c);
      if (until(Buffer.concat(parts))) {
        s.destroy();
        resolve(Buffer.concat(parts));
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(parts)));
  });
}

interface Parsed {
  head: string;
  body: Buffer;
  rest: Buffer;
}

/** Parse one HTTP/1.1 response strictly: chunked or content-length; throws on anything malformed. */
function parseResponse(buf: Buffer): Parsed {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) throw new Error('no end of headers');
  const head = buf.subarray(0, end).toString('latin1');
  let at = end + 4;
  const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
    const parts: Buffer[] = [];
    for (;;) {
      const eol = buf.indexOf('\r\n', at);
      const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
      if (!Number.isFinite(size) || eol < 0) throw new Error(`bad chunk size at ${at}`);
      at = eol + 2;
      if (size === 0) {
        if (buf.subarray(at, at + 2).toString() !== '\r\n') throw new Error('bad last chunk');
        return { head, body: Buffer.concat(parts), rest: buf.subarray(at + 2) };
      }
      parts.push(buf.subarray(at, at + size));
      at += size;
      if (buf.subarray(at, at + 2).toString() !== '\r\n') throw new Error(`chunk not followed by CRLF at ${at}`);
      at += 2;
    }
  }
  if (!cl) throw new Error('neither chunked nor content-length');
  const n = Number(cl[1]);
  return { head, body: buf.subarray(at, at + n), rest: buf.subarray(at + n) };
}

const post = (path: string, body: unknown, extra = '') => {
  const text = JSON.stringify(body);
  return `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}${extra}\r\n\r\n${text}`;
};

describe('replay on the wire', () => {
  it('two pipelined streaming requests on one keep-alive connection both get exact chunked bodies', async () => {
    // Same-time pieces (delta 0) are due together, so they also exercise the coalesced write.
    const a = makeOpenAIStreamTrace({ id: 'a', text: 'one two three four five', gaps: [0, 0, 0, 3, 0, 0, 2, 0, 0], firstChunkLatencyMs: 5 });
    const b = makeOpenAIStreamTrace({ id: 'b', text: 'six seven eight', messages: [{ role: 'user', content: 'again' }], firstChunkLatencyMs: 5 });
    const replay = await startReplayServer({ cassette: [a, b], speed: 1 });
    try {
      const req = (t: Trace) => post(t.endpoint, t.request);
      const wire = await exchange(replay.port, req(a) + req(b), (got) => got.toString('latin1').split('\r\n0\r\n\r\n').length === 3);
      const first = parseResponse(wire);
      const second = parseResponse(first.rest);
      expect(first.head).toMatch(/^HTTP\/1\.1 200/);
      expect(first.body.equals(bodyOf(a))).toBe(true);
      expect(second.body.equals(bodyOf(b))).toBe(true);
      expect(second.rest.length).toBe(0);
    } finally {
      await replay.close();
    }
  });

  it('a recorded content-length body is sent as-is, then the connection serves the next request', async () => {
    const plain = makeNonStreamTrace({ id: 'j', text: 'plain answer' });
    const json: Trace = { ...plain, http: { ...plain.http, response_headers: [...plain.http.response_headers, ['content-length', String(bodyOf(plain).length)]] } };
    const replay = await startReplayServer({ cassette: [json], speed: 0 });
    try {
      const req = post(json.endpoint, json.request);
      const wire = await exchange(replay.port, req + req, (got) => {
        try {
          return parseResponse(parseResponse(got).rest).body.length === bodyOf(json).length;
        } catch {
          return false;
        }
      });
      const first = parseResponse(wire);
      expect(first.head).toMatch(/content-length/i);
      expect(first.body.equals(bodyOf(json))).toBe(true);
      expect(parseResponse(first.rest).body.equals(bodyOf(json))).toBe(true);
    } finally {
      await replay.close();
    }
  });

  it('a HEAD request gets headers and no body bytes', async () => {
    const a = makeOpenAIStreamTrace({ id: 'h', text: 'no body please', firstChunkLatencyMs: 1 });
    const replay = await startReplayServer({ cassette: [{ ...a, http: { ...a.http, method: 'HEAD' }, request: null }], speed: 0 });
    try {
      const wire = await exchange(replay.port, `HEAD ${a.endpoint} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`, () => false);
      const text = wire.toString('latin1');
      expect(text).toMatch(/^HTTP\/1\.1 200/);
      expect(text.slice(text.indexOf('\r\n\r\n') + 4)).toBe('');
    } finally {
      await replay.close();
    }
  });
});
