import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server, Socket } from 'node:net';

/**
 * Idle sockets cost a file descriptor each. Past the process's open-files limit the kernel refuses new
 * connections and libuv accepts and closes each at once, so every legitimate client failed until the idle
 * ones timed out (300 idle sockets under `ulimit -n 256`: 10 s of failures). Below the limit, with room
 * to spare, a new connection instead closes the oldest idle one: one that has sent nothing yet, or (when
 * the HTTP server is known) one waiting between keep-alive requests. A request in progress is never closed.
 */

/** The open-files soft limit, from /proc/self/limits (Linux); undefined elsewhere or when unlimited. */
export function openFilesLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How many connections a server keeps before closing idle ones: the open-files limit less a reserve for
 * everything else the process opens (its own files, the upstream sockets a recorder forwards on, workers).
 */
export function connectionCap(limit = openFilesLimit()): number {
  if (limit === undefined) return Infinity;
  return Math.max(16, limit - Math.max(64, Math.floor(limit / 4)));
}

interface Tracked {
  /** A request has arrived and its response has not finished. */
  busy: boolean;
  /** Between keep-alive requests (known only with the HTTP server). */
  idleAfterRequest: boolean;
}

/**
 * Keep at most `cap` connections on `server` by closing the oldest idle one when a new one arrives over it.
 * Pass the HTTP server that parses its requests (`http`) to also count keep-alive sockets between requests
 * as idle; without it only sockets that have sent no byte are. Returns the tracked count, for tests.
 * @example guardConnections(server, { http: server });
 */
export function guardConnections(server: Server, options: { http?: HttpServer; cap?: number } = {}): { open(): number } {
  const cap = options.cap ?? connectionCap();
  const sockets = new Map<Socket, Tracked>();
  const evictable = (s: Socket, t: Tracked): boolean => !t.busy && (t.idleAfterRequest || s.bytesRead === 0);
  server.on('connection', (socket: Socket) => {
    // mockttp's listener re-emits each connection to its inner servers: count it once.
    if (sockets.has(socket)) return;
    sockets.set(socket, { busy: false, idleAfterRequest: false });
    socket.once('close', () => sockets.delete(socket));
    if (sockets.size <= cap) return;
    for (const [s, t] of sockets) {
      if (s !== socket && evictable(s, t)) {
        sockets.delete(s);
        s.destroy();
        return;
      }
    }
  });
  options.http?.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const t = sockets.get(req.socket);
    if (!t) return;
    t.busy = true;
    t.idleAfterRequest = false;
    res.once('close', () => {
      t.busy = false;
      t.idleAfterRequest = true;
      // Most recently used last: the oldest idle socket is the first one found.
      if (sockets.delete(req.socket)) sockets.set(req.socket, t);
    });
  });
  return { open: () => sockets.size };
}
