import { spawn } from 'node:child_process';
import { createServer, request, Agent } from 'node:http';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mono } from './client.js';
import type { BenchOptions } from './options.js';
import { fmt, percentile, table } from './stats.js';

/**
 * Issue-21 item 8: how long after the app has a call's whole response is that call in the cassette on
 * disk. `traceforge record --cassette` runs as users run it (its own process); lanes of clients call it
 * back to back; the cassette file is read as it grows, and a call counts once its entry is complete
 * there (its `...` line written): the file is the truth, not anything the recorder says.
 */
const BIN = fileURLToPath(new URL('../cli/bin.js', import.meta.url));
const PATH = '/v1/chat/completions';

/**
 * An SSE upstream: `chunks` events per call, each written `gapMs` after the last (0: back to back, one
 * per turn). `ended` has mono() when it wrote each call's last byte, by the request's `lag_id`.
 */
export async function startLagUpstream(chunks: number, gapMs: number): Promise<{ url: string; ended: Map<string, number>; close(): Promise<void> }> {
  const event = (i: number) => `data: {"id":"chatcmpl-lag","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" tok${i}"},"finish_reason":null}]}\n\n`;
  const ended = new Map<string, number>();
  const server = createServer({ noDelay: true, keepAlive: true }, (req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      const id = /lag-\d+-\d+/.exec(body)?.[0];
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      void (async () => {
        const start = performance.now();
        for (let i = 0; i < chunks && !res.destroyed; i++) {
          if (gapMs > 0) {
            const wait = start + i * gapMs - performance.now();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          } else await new Promise((r) => setImmediate(r));
          res.write(event(i));
        }
        res.end('data: [DONE]\n\n');
        if (id) ended.set(id, mono());
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ended,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** `traceforge record --upstream U --cassette C --port 0`, started in `dir`; resolves once it is listening. */
export async function startRecordCli(upstream: string, dir: string, cassette: string, opts: { env?: Record<string, string>; nodeArgs?: string[] } = {}) {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), BIN, 'record', '--upstream', upstream, '--cassette', cassette, '--port', '0'], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /recording (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then((c) => reject(new Error(`traceforge record exited (${c}) before listening: ${err}`)));
  });
  return { child, url, exited, stderr: () => err };
}

/**
 * Follow a cassette as it grows: `seen` gets, for every `lag_id` in a complete entry, mono() when the
 * entry was first read. The file is read from where the last look ended; a new file (the first append
 * creates it by rename) is read from its start.
 */
export function watchCassette(path: string, everyMs = 2): { seen: Map<string, number>; look(): Promise<void>; stop(): Promise<void> } {
  const seen = new Map<string, number>();
  let inode = -1;
  let offset = 0;
  let pending = '';
  const look = async (): Promise<void> => {
    const at = mono();
    const s = await stat(path).catch(() => undefined);
    if (!s) return;
    if (s.ino !== inode) {
      inode = s.ino;
      offset = 0;
      pending = '';
    }
    // A repaired (truncated) file: read it again from the start.
    if (s.size < offset) {
      offset = 0;
      pending = '';
    }
    if (s.size === offset) return;
    const fh = await open(path, 'r').catch(() => undefined);
    if (!fh) return;
    try {
      const buf = Buffer.alloc(s.size - offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      offset += bytesRead;
      pending += buf.subarray(0, bytesRead).toString('latin1');
    } finally {
      await fh.close();
    }
    const end = pending.lastIndexOf('\n...\n');
    if (end < 0) return;
    for (const m of pending.slice(0, end).matchAll(/lag-\d+-\d+/g)) if (!seen.has(m[0])) seen.set(m[0], at);
    pending = pending.slice(end + 5);
  };
  // One look at a time: they share the read offset.
  let busy: Promise<void> | undefined;
  const once = (): Promise<void> => (busy ??= look().finally(() => (busy = undefined)));
  const timer = setInterval(() => void once(), everyMs);
  return {
    seen,
    look: async () => {
      await busy;
      await once();
    },
    async stop() {
      clearInterval(timer);
      await busy;
      await once();
    },
  };
}

const agent = new Agent({ keepAlive: true });

/** One streamed call; resolves with mono() when the response's last byte had been read, or undefined if it failed. */
export function streamedCall(url: string, id: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const u = new URL(PATH, url);
    const body = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }], lag_id: id });
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode === 200 ? mono() : undefined));
      res.once('error', () => resolve(undefined));
    });
    req.once('error', () => resolve(undefined));
    req.end(body);
  });
}

/**
 * `lanes` loops calling back to back until `untilMono`; fills `finished` with every call the client
 * read to its end, with when. A lane stops at its first failed call (counted in `failed`).
 */
export async function runLanes(url: string, lanes: number, untilMono: number, finished = new Map<string, number>()): Promise<{ finished: Map<string, number>; failed: number }> {
  let failed = 0;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let n = 0; mono() < untilMono; n++) {
        const id = `lag-${lane}-${n}`;
        const at = await streamedCall(url, id);
        if (at === undefined) {
          failed++;
          return;
        }
        finished.set(id, at);
      }
    }),
  );
  return { finished, failed };
}

interface LagRun {
  name: string;
  calls: number;
  seconds: number;
  /** Calls complete in the cassette when the lanes stopped. */
  onDiskAtStop: number;
  /** Entry complete in the cassette - the client read the call's end (ms; negative: on disk first). */
  lags: number[];
  /** The client read the call's end - the upstream wrote its last byte (ms): what the app waits for the end. */
  endWaits: number[];
  missing: number;
  failed: number;
}

async function lagRun(name: string, chunks: number, gapMs: number, lanes: number, seconds: number): Promise<LagRun> {
  const dir = await mkdtemp(join(tmpdir(), 'tf-bench-lag-'));
  const upstream = await startLagUpstream(chunks, gapMs);
  const cassette = join(dir, 'lag.yaml');
  const cli = await startRecordCli(upstream.url, dir, cassette);
  const watch = watchCassette(cassette);
  try {
    const { finished, failed } = await runLanes(cli.url, lanes, mono() + seconds * 1000);
    await watch.look();
    const onDiskAtStop = [...finished.keys()].filter((id) => watch.seen.has(id)).length;
    // Let the recorder catch up (bounded), then stop it as a user would.
    const deadline = mono() + 30_000;
    while ([...finished.keys()].some((id) => !watch.seen.has(id)) && mono() < deadline) await new Promise((r) => setTimeout(r, 20));
    cli.child.kill('SIGINT');
    await cli.exited;
    await watch.stop();
    const written = [...finished].filter(([id]) => watch.seen.has(id));
    return {
      name,
      calls: finished.size,
      seconds,
      onDiskAtStop,
      lags: written.map(([id, at]) => watch.seen.get(id)! - at),
      endWaits: [...finished].filter(([id]) => upstream.ended.has(id)).map(([id, at]) => at - upstream.ended.get(id)!),
      missing: finished.size - written.length,
      failed,
    };
  } finally {
    await watch.stop();
    cli.child.kill('SIGKILL');
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** p50 / p99 / max of signed values. */
function signedSpread(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return [percentile(sorted, 50), percentile(sorted, 99), sorted.at(-1) ?? Number.NaN].map((n) => fmt(n, 1)).join(' / ');
}

export async function benchRecordLag(o: BenchOptions): Promise<string> {
  const seconds = o.quick ? 4 : 8;
  const runs = [
    // One app making one call at a time: nothing else ends with it.
    await lagRun(`2 ms events, 1 lane`, 300, 2, 1, seconds),
    await lagRun(`back to back, 3 lanes`, 300, 0, 3, seconds),
    await lagRun(`10 ms chunks, 8 lanes`, 300, 10, 8, seconds),
    ...(o.quick ? [] : [await lagRun(`10 ms chunks, 20 lanes`, 300, 10, 20, seconds)]),
  ];
  const rows = runs.map((r) => [
    `${r.name}, ${r.seconds} s`,
    `${r.calls} (${(r.calls / r.seconds).toFixed(1)}/s)`,
    r.onDiskAtStop,
    signedSpread(r.lags),
    signedSpread(r.endWaits),
    r.missing + r.failed,
  ]);
  return (
    `record lag: 300-chunk SSE calls through \`traceforge record --cassette\` (its own process), lanes calling back to back\n` +
    `  on disk = the call's entry complete in the cassette file (read every 2 ms) - the client read the call's end; negative: on disk first\n` +
    `  end wait = the client read the call's end - the upstream wrote its last byte (what the app waits for the end)\n` +
    table(['run', 'calls', 'on disk when lanes stopped', 'on disk, ms p50 / p99 / max', 'end wait, ms p50 / p99 / max', 'failed or never written'], rows)
  );
}
