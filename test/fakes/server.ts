/**
 * A fake provider on 127.0.0.1 (port 0) that plays scripts: status and headers, then each frame in
 * its own write at its scheduled time, optionally dropping the connection mid-stream.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Script } from './script.js';

export interface FakeRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A fixed script, a list served in order (the last one repeats, e.g. a 429 then a 200), or a function of the request. */
export type ScriptedHandler = Script | Script[] | ((req: FakeRequest & { json: unknown }) => Script | Promise<Script>);

export interface FakeUpstream {
  /** Base URL, e.g. `http://127.0.0.1:54321` (no trailing slash). */
  url: string;
  close(): Promise<void>;
  /** Every request received, in order. */
  requests: FakeRequest[];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export async function startFakeUpstream(handler: ScriptedHandler): Promise<FakeUpstream> {
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout | NodeJS.Immediate>();
  let served = 0;

  // Sleep until an absolute time so gaps do not accumulate timer overshoot; sub-ms waits yield once.
  const waitUntil = (target: number) =>
    new Promise<void>((resolve) => {
      const delay = target - performance.now();
      const t = delay >= 1 ? setTimeout(done, delay) : setImmediate(done);
      timers.add(t);
      function done() {
        timers.delete(t);
        resolve();
      }
    });

  const pick = async (req: FakeRequest): Promise<Script> => {
    if (typeof handler === 'function') return handler({ ...req, json: parseJson(req.body) });
    if (Array.isArray(handler)) return handler[Math.min(served++, handler.length - 1)]!;
    return handler;
  };

  const play = async (script: Script, res: ServerResponse) => {
    if (script.headersDelayMs) await waitUntil(performance.now() + script.headersDelayMs);
    res.writeHead(script.status, script.statusMessage, script.headers ?? {});
    res.flushHeaders();
    let at = performance.now();
    for (let i = 0; i < script.frames.length; i++) {
      if (script.dropAfter === i) return void res.socket?.destroy();
      const frame = script.frames[i]!;
      // Absolute times keep timer overshoot from adding up; but after a late wake-up (a busy machine) the
      // next frame still waits half its gap, so frames written apart never go out in one burst.
      at = Math.max(at + frame.gapMs, performance.now() + frame.gapMs / 2);
      await waitUntil(at);
      if (res.destroyed) return;
      // Wait for the write to reach the socket so a following drop cannot swallow it.
      await new Promise<void>((resolve) => res.write(frame.bytes, () => resolve()));
    }
    if (script.dropAfter !== undefined && script.dropAfter >= script.frames.length) return void res.socket?.destroy();
    res.end();
  };

  const server = createServer((req, res) => {
    void (async () => {
      const recorded: FakeRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: { ...req.headers }, body: await readBody(req) };
      requests.push(recorded);
      await play(await pick(recorded), res);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`fake upstream handler failed: ${String(err)}`);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const t of timers) {
        clearTimeout(t as NodeJS.Timeout);
        clearImmediate(t as NodeJS.Immediate);
      }
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
