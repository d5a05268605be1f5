import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

/**
 * Send each forwarded chunk to the app as soon as it is written, not a tick later.
 *
 * Node writes a chunked response body with the socket corked and uncorks it on the next tick
 * (`connectionCorkNT` in lib/_http_outgoing.js), so the size line, the chunk and its CRLF go out in
 * one writev. For a proxy that tick is pure delay: the chunk waits until the rest of the upstream
 * read has been parsed and every tick queued before it has run (25-40 us per chunk on the proxy
 * thread, measured from the upstream read to the writev). Once the body stream piped into the
 * response has written a chunk (a 'data' listener added after the pipe's own runs after its write),
 * the socket is uncorked here instead: the same single writev, now. The pending tick's uncork then
 * finds nothing corked and does nothing (Writable.uncork only decrements a positive count).
 *
 * No mockttp object is touched: this listens for Node's 'pipe' event on the response, which
 * mockttp's passthrough emits by piping the upstream response into it. Should mockttp stop piping,
 * nothing here runs and chunks go out a tick later, as Node would send them anyway.
 */
export function writeThrough(res: ServerResponse): void {
  res.once('pipe', (src: Readable) => {
    // Readable.pipe adds its 'data' listener before it emits 'pipe', so this one runs after each write.
    src.on('data', () => {
      const socket = res.socket;
      if (socket && socket.writableCorked > 0) socket.uncork();
    });
  });
}
