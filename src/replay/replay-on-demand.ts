import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { MissExplanation } from '../cassette/match.js';
import { startReplayThread, type ReplayThread, type ReplayThreadOptions } from './replay-thread.js';

/**
 * A replay thread started only when something connects to its URL. Under the virtual clock the
 * process's own calls are answered in-process and never reach the URL; only another process (or a
 * client that bypasses the interception) does. So the URL is a plain listener here, which costs
 * nothing, and the first connection starts the replay thread (indexing the cassette, warming up), then
 * every connection is piped to it. Starting a thread per test file that nobody calls was most of
 * what opening a cassette cost.
 */
export async function startReplayOnDemand(options: ReplayThreadOptions): Promise<ReplayThread> {
  const host = options.host ?? '127.0.0.1';
  let thread: Promise<ReplayThread> | undefined;
  let settled: ReplayThread | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.pause();
    thread ??= startReplayThread({ ...options, port: 0, host: '127.0.0.1' }).then((t) => (settled = t));
    thread.then(
      (t) => {
        if (socket.destroyed) return;
        const upstream = connect(t.port, '127.0.0.1');
        upstream.setNoDelay(true);
        socket.setNoDelay(true);
        socket.pipe(upstream).pipe(socket);
        upstream.once('error', () => socket.destroy());
        socket.once('error', () => upstream.destroy());
        socket.resume();
      },
      () => socket.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const none: MissExplanation[] = [];
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    get misses() {
      return settled?.misses ?? none;
    },
    get warnings() {
      return settled?.warnings ?? [];
    },
    lateness: () => settled?.lateness() ?? { count: 0, p50: 0, p99: 0, max: 0 },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      if (thread) await (await thread.catch(() => undefined))?.close();
    },
  };
}
