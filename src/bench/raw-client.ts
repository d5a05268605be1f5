import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { mono, type Timed } from './client.js';

/**
 * A lean measuring client for the 1,000-stream load run. node:http's IncomingMessage costs tens of
 * microseconds per read; with a thousand streams in one process that made the client, not the server,
 * the late party (reads arrived up to 20 ms after the server wrote them). This one reads the socket
 * itself: status line, headers, chunked or content-length body, and counts SSE event terminators.
 * Only for SSE bodies over HTTP/1.1, which is all the load run sends.
 */
const LF2 = Buffer.from('\n\n');

export function rawTimedPost(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Timed> {
  const u = new URL(url);
  const payload = Buffer.from(JSON.stringify(body));
  const head =
    `POST ${u.pathname}${u.search} HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/json\r\ncontent-length: ${payload.length}\r\nconnection: close\r\n` +
    Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') +
    '\r\n';
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const frameAt: number[] = [];
    let status = 0;
    let bytes = 0;
    let headerBuf: Buffer | null = Buffer.alloc(0);
    let chunked = false;
    let remaining = Infinity; // content-length left, or bytes left in the current chunk
    let sizeLine = ''; // chunked: the size line being read
    let skip = 0; // chunked: CRLF bytes to skip after a chunk
    let tail = 0; // the last body byte, for terminators split across reads
    let done = false;
    let sentAt = 0;
    const finish = (dropped: boolean) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ status, sentAt, frameAt, sha256: hash.digest('hex'), bytes, dropped });
    };
    const bodyBytes = (b: Buffer, at: number) => {
      hash.update(b);
      bytes += b.length;
      if (b.length === 0) return;
      // A terminator split across reads: the previous read ended in \n and this one starts with it.
      if (tail === 0x0a && b[0] === 0x0a) frameAt.push(at);
      for (let i = b.indexOf(LF2); i >= 0; i = b.indexOf(LF2, i + 1)) frameAt.push(at);
      tail = b[b.length - 1]!;
    };
    const socket = connect(Number(u.port), u.hostname, () => {
      socket.setNoDelay(true);
      sentAt = mono();
      socket.write(Buffer.concat([Buffer.from(head), payload]));
    });
    socket.on('data', (data: Buffer) => {
      const at = mono();
      let b = data;
      if (headerBuf) {
        const all = Buffer.concat([headerBuf, b]);
        const end = all.indexOf('\r\n\r\n');
        if (end < 0) {
          headerBuf = all;
          return;
        }
        const text = all.subarray(0, end).toString('latin1');
        status = Number(text.slice(9, 12));
        chunked = /\r\ntransfer-encoding: *chunked/i.test(text);
        const cl = /\r\ncontent-length: *(\d+)/i.exec(text);
        remaining = chunked ? 0 : cl ? Number(cl[1]) : Infinity;
        headerBuf = null;
        b = all.subarray(end + 4);
      }
      if (!chunked) {
        const take = b.subarray(0, Math.min(b.length, remaining));
        bodyBytes(take, at);
        remaining -= take.length;
        if (remaining === 0) finish(false);
        return;
      }
      let i = 0;
      while (i < b.length) {
        if (skip > 0) {
          const n = Math.min(skip, b.length - i);
          skip -= n;
          i += n;
        } else if (remaining > 0) {
          const n = Math.min(remaining, b.length - i);
          bodyBytes(b.subarray(i, i + n), at);
          remaining -= n;
          i += n;
          if (remaining === 0) skip = 2;
        } else {
          const eol = b.indexOf(0x0a, i);
          sizeLine += b.subarray(i, eol < 0 ? b.length : eol + 1).toString('latin1');
          if (eol < 0) return;
          i = eol + 1;
          remaining = parseInt(sizeLine, 16);
          sizeLine = '';
          if (remaining === 0) return finish(false);
        }
      }
    });
    socket.on('error', (e) => (status === 0 ? reject(e) : finish(true)));
    socket.on('close', () => finish(true));
  });
}
