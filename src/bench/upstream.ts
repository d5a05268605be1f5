import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitUntil } from '../replay/scheduler.js';
import { mono } from './client.js';
import type { BenchStream } from './stream.js';

/**
 * A local OpenAI-compatible upstream for the benchmark. `POST /v1/chat/completions` streams the bench
 * stream with every frame written at its absolute offset (`?frames=N` serves only the first N, for
 * warm-ups); `POST /big?bytes=N&event=K` streams N bytes of K-byte SSE events as fast as the reader
 * takes them. It stamps every frame's write time, so added latency is measured against the truth.
 */
export interface BenchUpstream {
  readonly url: string;
  /** Monotonic ms of each frame write, one array per request, in arrival order. */
  readonly writes: number[][];
  /** The same, by the request's `x-bench-id` header. */
  readonly writesById: Map<string, number[]>;
  /**
   * Monotonic ms at which each request arrived (its headers parsed: Node hands the request to the
   * handler), by `x-bench-id`. The true TTFB of a call is `writes[0] - arrival`, the upstream's own.
   */
  readonly arrivalsById: Map<string, number>;
  close(): Promise<void>;
}

function drain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

async function big(res: ServerResponse, bytes: number, eventSize: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const filler = 'x'.repeat(Math.max(1, eventSize - 'data: {"i":0000000000,"p":""}\n\n'.length));
  let sent = 0;
  for (let i = 0; sent < bytes && !res.destroyed; i++) {
    const frame = `data: {"i":${String(i).padStart(10, '0')},"p":"${filler}"}\n\n`;
    sent += frame.length;
    if (!res.write(frame)) await drain(res);
  }
  res.end();
}

export async function startBenchUpstream(stream: BenchStream): Promise<BenchUpstream> {
  const writes: number[][] = [];
  const writesById = new Map<string, number[]>();
  const arrivalsById = new Map<string, number>();
  const server = createServer({ noDelay: true, keepAlive: true }, (req, res) => {
    const arrived = mono();
    req.resume();
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname === '/big') {
        void big(res, Number(u.searchParams.get('bytes') ?? 1e6), Number(u.searchParams.get('event') ?? 1024));
        return;
      }
      const count = Math.min(stream.frames.length, Number(u.searchParams.get('frames') ?? stream.frames.length));
      const stamps: number[] = [];
      writes.push(stamps);
      const id = req.headers['x-bench-id'];
      if (typeof id === 'string') {
        writesById.set(id, stamps);
        arrivalsById.set(id, arrived);
      }
      const start = performance.now();
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      res.flushHeaders();
      void (async () => {
        for (let i = 0; i < count; i++) {
          await waitUntil(start + stream.ttfbMs + stream.offsets[i]!, () => res.destroyed);
          if (res.destroyed) return;
          stamps.push(mono());
          res.write(stream.frames[i]!);
        }
        res.end();
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    writes,
    writesById,
    arrivalsById,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
