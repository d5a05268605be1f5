import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { timedPost, type Timed } from './client.js';
import { rawTimedPost } from './raw-client.js';
import { jitteredStream, scaledStream } from './stream.js';
import { startBenchUpstream, type BenchUpstream } from './upstream.js';

/**
 * "The world" for load runs: the upstream and the clients live in a child process, so the process
 * under test (recorder or replay server) has this one to itself and its peak RSS is its own. Stamps
 * use CLOCK_MONOTONIC, which both processes share.
 */
type Request =
  | { id: number; cmd: 'upstream'; chunks: number; scale?: number }
  | { id: number; cmd: 'writes'; ids: string[] }
  | { id: number; cmd: 'timeline'; ids: string[] }
  | { id: number; cmd: 'latest' }
  | { id: number; cmd: 'clients'; url: string; n: number; body: unknown; tag?: string; rampMs?: number; lean?: boolean }
  | { id: number; cmd: 'exit' };

type Call = Request extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

/** What the upstream did for one request: when it arrived and when each frame was written (mono ms). */
export interface UpstreamTimeline {
  /** null for an id no upstream saw. */
  arrival: number | null;
  writes: number[];
}

export interface World {
  /**
   * Start an upstream serving the jittered stream of `chunks` chunks, its gaps and first-byte time
   * multiplied by `scale` (default 1). Several may run at once; stamps are looked up in all of them.
   */
  upstream(chunks: number, scale?: number): Promise<string>;
  /** Write stamps for the requests sent with these `x-bench-id`s. */
  writes(ids: string[]): Promise<number[][]>;
  /** Arrival and write stamps for these `x-bench-id`s. */
  timeline(ids: string[]): Promise<UpstreamTimeline[]>;
  /** Write stamps of the most recent streamed request any upstream answered (for tools that drop `x-bench-id`). */
  latest(): Promise<number[]>;
  /**
   * n concurrent POSTs (bodies hashed, not kept); request i carries `x-bench-id: <tag>-<i>`. With
   * `rampMs`, request i starts at i * rampMs / n instead of all at once. `lean` uses the raw-socket
   * client (SSE only), cheap enough for a thousand streams in one process.
   */
  clients(url: string, n: number, body: unknown, tag?: string, opts?: { rampMs?: number; lean?: boolean }): Promise<Timed[]>;
  close(): Promise<void>;
}

export function startWorld(): World {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--world'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let next = 0;
  const waiting = new Map<number, (v: unknown) => void>();
  child.on('message', (m: { id: number; value: unknown }) => {
    waiting.get(m.id)?.(m.value);
    waiting.delete(m.id);
  });
  const call = <T>(msg: Call): Promise<T> =>
    new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve as (v: unknown) => void);
      child.send({ ...msg, id });
    });
  return {
    upstream: (chunks, scale) => call({ cmd: 'upstream', chunks, scale }),
    writes: (ids) => call({ cmd: 'writes', ids }),
    timeline: (ids) => call({ cmd: 'timeline', ids }),
    latest: () => call({ cmd: 'latest' }),
    clients: (url, n, body, tag, opts) => call({ cmd: 'clients', url, n, body, tag, ...opts }),
    close: async () => {
      const gone = new Promise((r) => child.once('exit', r));
      child.send({ id: -1, cmd: 'exit' });
      await gone;
    },
  };
}

if (process.argv.includes('--world') && process.send) {
  const upstreams: BenchUpstream[] = [];
  const writesOf = (id: string) => upstreams.map((u) => u.writesById.get(id)).find((w) => w !== undefined);
  const arrivalOf = (id: string) => upstreams.map((u) => u.arrivalsById.get(id)).find((a) => a !== undefined);
  process.on('message', async (m: Request) => {
    const reply = (value: unknown) => process.send!({ id: m.id, value });
    if (m.cmd === 'upstream') {
      const stream = jitteredStream(m.chunks);
      const upstream = await startBenchUpstream(m.scale === undefined || m.scale === 1 ? stream : scaledStream(stream, m.scale));
      upstreams.push(upstream);
      reply(upstream.url);
    } else if (m.cmd === 'writes') reply(m.ids.map((i) => writesOf(i) ?? []));
    else if (m.cmd === 'timeline') reply(m.ids.map((i) => ({ arrival: arrivalOf(i) ?? null, writes: writesOf(i) ?? [] })));
    else if (m.cmd === 'latest') reply(upstreams.map((u) => u.writes.at(-1) ?? []).reduce((a, b) => ((b[0] ?? -1) > (a[0] ?? -1) ? b : a), []));
    else if (m.cmd === 'clients') {
      const tag = m.tag ?? 'c';
      const ramp = m.rampMs ?? 0;
      const one = (i: number) =>
        m.lean ? rawTimedPost(m.url, m.body, { 'x-bench-id': `${tag}-${i}` }) : timedPost(m.url, m.body, { keepBody: false, headers: { 'x-bench-id': `${tag}-${i}` } });
      const later = (i: number) => new Promise<Timed>((ok, fail) => setTimeout(() => one(i).then(ok, fail), (i * ramp) / m.n));
      reply(await Promise.all(Array.from({ length: m.n }, (_, i) => (ramp > 0 ? later(i) : one(i)))));
    } else if (m.cmd === 'exit') {
      await Promise.all(upstreams.map((u) => u.close()));
      process.exit(0);
    }
  });
}
