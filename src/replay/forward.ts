import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { FORWARD_HEADER, ORIGIN_HEADER } from '../intercept/hosts.js';

/**
 * Pass a request on to another local server (the recorder, in record modes) and pipe its answer
 * back untouched. The body was already read for matching, so it is re-sent from the buffer.
 */
export function forwardTo(base: string): (req: IncomingMessage, res: ServerResponse, body: Buffer) => void {
  const target = new URL(base);
  return (req, res, body) => {
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: target.host, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    // A call the in-test interception redirected here names the origin the app addressed: the recorder gets it
    // as a proxy request (absolute URL), so it forwards to that host, and the header goes no further.
    const origin = headers[ORIGIN_HEADER];
    delete headers[ORIGIN_HEADER];
    delete headers[FORWARD_HEADER];
    let path = req.url;
    if (typeof origin === 'string' && /^https?:\/\/[^/]+$/.test(origin)) {
      path = `${origin}${req.url ?? '/'}`;
      headers.host = new URL(origin).host;
    }
    const out = request({ host: target.hostname, port: target.port, method: req.method, path, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.statusMessage, up.rawHeaders);
      up.pipe(res);
      up.once('aborted', () => res.destroy());
    });
    out.once('error', (e) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { type: 'traceforge_record_error', message: e.message } }));
      } else res.destroy();
    });
    res.once('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    out.end(body);
  };
}

/**
 * Pass a WebSocket upgrade on to another local server (the recorder's WebSocket relay, in record modes)
 * as it came, and splice the two sockets: the session then flows between the app and the relay untouched.
 * The origin the app addressed stays in its header: the relay reads it to know where the session goes.
 */
export function forwardUpgradeTo(base: string): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const target = new URL(base);
  return (req, socket, head) => {
    const out = connect(Number(target.port), target.hostname);
    const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() !== FORWARD_HEADER) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    out.setNoDelay(true);
    out.write(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
    if (head.length > 0) out.write(head);
    out.pipe(socket).pipe(out);
    const end = () => {
      out.destroy();
      socket.destroy();
    };
    out.once('error', end);
    socket.once('error', end);
    out.once('close', end);
    socket.once('close', end);
  };
}
