import { request, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * Pass a request on to another local server (the recorder, in record modes) and pipe its answer
 * back untouched. The body was already read for matching, so it is re-sent from the buffer.
 */
export function forwardTo(base: string): (req: IncomingMessage, res: ServerResponse, body: Buffer) => void {
  const target = new URL(base);
  return (req, res, body) => {
    const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    const out = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (up) => {
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
