import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Answer a call whose upstream could not be reached with a 502 JSON error naming the upstream.
 *
 * mockttp (with simulateConnectionErrors, which we need so a mid-stream drop upstream becomes the
 * same drop for the client) resets the client socket when the upstream connection fails. Our
 * listener runs first, writes the 502, then defuses that reset on this one socket so the answer is
 * flushed and the connection closes cleanly.
 */
export function answerUnreachable(res: ServerResponse, upstream: string, error: Error): Buffer | undefined {
  if (res.headersSent || res.writableEnded) return undefined;
  const code = (error as NodeJS.ErrnoException).code ?? 'ECONNERROR';
  const body = Buffer.from(JSON.stringify({
    error: {
      type: 'traceforge_upstream_unreachable',
      code,
      message: `TraceForge could not reach the upstream ${upstream} (${code}: ${error.message}). Check --upstream and your network, or replay a cassette instead.`,
      upstream,
    },
  }));
  res.writeHead(502, 'Bad Gateway', {
    'content-type': 'application/json',
    'content-length': body.length,
    connection: 'close',
  });
  res.end(body);
  const socket = res.socket as (Socket & { resetAndDestroy?: () => Socket }) | null;
  if (!socket) return body;
  const destroy = socket.destroy.bind(socket);
  const graceful = function (this: Socket) {
    socket.end();
    socket.destroy = destroy;
    setTimeout(() => destroy(), 1000).unref();
    return socket;
  };
  socket.resetAndDestroy = graceful as never;
  socket.destroy = graceful as never;
  return body;
}
