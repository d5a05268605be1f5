import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { waitUntil } from '../../src/replay/scheduler.js';
import type { Trace } from '../../src/trace/types.js';

/**
 * An OpenAI-compatible streaming upstream that writes down, on its own clock, when each request
 * arrived and when it wrote each frame: the truth a recorded trace's timing is checked against.
 * Frames go out every `gapMs` (alternating a short and a long gap so deltas are not all equal).
 * `?chunks=N&hold=MS` on a request overrides the frame count and holds the response open after them.
 */
export interface LoggedUpstream {
  url: string;
  /** Per request, in arrival order: arrival time and each frame's write time (performance.now() of this process). */
  log: Array<{ arrived: number; writes: number[] }>;
  close(): Promise<void>;
}

export async function startLoggedUpstream(opts: { chunks: number; gapMs: number; firstByteMs?: number; holdMs?: number }): Promise<LoggedUpstream> {
  const log: LoggedUpstream['log'] = [];
  const sockets = new Set<Socket>();
  const frame = (i: number) => `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"tok${i} "}}]}\n\n`;
  const play = async (res: ServerResponse, entry: { arrived: number; writes: number[] }, query: URLSearchParams) => {
    const chunks = Number(query.get('chunks') ?? opts.chunks);
    const holdMs = Number(query.get('hold') ?? opts.holdMs ?? 0);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    let at = entry.arrived + (opts.firstByteMs ?? 20);
    for (let i = 0; i <= chunks; i++) {
      await waitUntil(at);
      if (res.destroyed) return;
      entry.writes.push(performance.now());
      res.write(i === chunks ? 'data: [DONE]\n\n' : frame(i));
      at += i % 2 === 0 ? opts.gapMs / 2 : (opts.gapMs * 3) / 2;
    }
    if (holdMs) await waitUntil(performance.now() + holdMs);
    res.end();
  };
  const server = createServer({ noDelay: true }, (req, res) => {
    req.resume();
    req.on('end', () => {
      const entry = { arrived: performance.now(), writes: [] as number[] };
      log.push(entry);
      void play(res, entry, new URL(req.url ?? '/', 'http://x').searchParams);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Read a streamed response to its end. */
export async function drain(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test-00000000000000000000' }, body: JSON.stringify(body) });
  await res.arrayBuffer();
}

/** The trace files a `traceforge record` run in `cwd` wrote, oldest first. */
export async function readTraces(cwd: string): Promise<Trace[]> {
  const dir = join(cwd, '.ai-tests', 'traces');
  const files = existsSync(dir) ? (await readdir(dir)).filter((f) => f.endsWith('.json')) : [];
  const all = await Promise.all(files.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as Trace));
  return all.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
}
