import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRecorder } from '../record/recorder.js';
import { planPlayback } from '../replay/plan.js';
import { startReplayServer } from '../replay/replay-server.js';
import { createTraceStore } from '../store/trace-store.js';
import { storedToBytes } from '../stream/bytes.js';
import type { Trace } from '../trace/types.js';
import { timingErrors, type Timed } from './client.js';
import type { BenchOptions } from './options.js';
import { BENCH_REQUEST } from './replay-timing.js';
import { fmt, mb, spread, table } from './stats.js';
import { jitteredStream } from './stream.js';
import { startWorld, type World } from './world.js';

const PATH = '/v1/chat/completions';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Peak RSS of this process while `fn` runs (sampled every 10 ms, plus the OS high-water mark). */
async function withPeakRss<T>(fn: () => Promise<T>): Promise<[T, number]> {
  // No gc() first: a forced full collection shrinks the heap, and growing it back during the run made
  // the recorder's per-chunk p99 two to four times worse than in a process that never forced one.
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  try {
    const value = await fn();
    return [value, Math.max(peak, process.memoryUsage.rss())];
  } finally {
    clearInterval(timer);
  }
}

async function writesOf(world: World, runs: Timed[], tag: string): Promise<Map<string, number[]>> {
  const ids = runs.map((_, i) => `${tag}-${i}`);
  const writes = await world.writes(ids);
  return new Map(ids.map((id, i) => [id, writes[i]!]));
}

function latencies(runs: Timed[], writes: Map<string, number[]>, tag: string): number[] {
  return runs.flatMap((r, i) => r.frameAt.map((t, k) => t - (writes.get(`${tag}-${i}`)![k] ?? t)));
}

/**
 * Concurrent replays of one recorded stream. Runs before the recorder load, in a process whose heap
 * holds one trace: a heap full of the recorder run's traces made every garbage collection, and so
 * every replay, slower, and its RSS would not be the replay server's.
 */
async function replayLoad(o: BenchOptions, world: World, upstream: string, expectedSha: string): Promise<string[]> {
  const out: string[] = [];
  let trace: Trace | undefined;
  const rec = await startRecorder({ upstream, onTrace: (t) => void (t.http.url === PATH ? (trace = t) : undefined) });
  await world.clients(`${rec.url}${PATH}`, 1, BENCH_REQUEST, 'one');
  await rec.flush();
  await rec.close();
  if (!trace) throw new Error('bench: the recorder wrote no trace for the load stream');
  const planned = planPlayback(trace).pieces.map((p) => p.at);
  // The same cassette replayed by n clients at once (a connection storm), and with their starts spread
  // over one second (n streams still overlap for the ~11 s of the stream); fewer streams for the curve.
  const runs: Array<{ n: number; rampMs: number }> = [
    { n: o.loadReplays, rampMs: 0 },
    { n: o.loadReplays, rampMs: 1000 },
    ...[100, 300].filter((n) => n < o.loadReplays).map((n) => ({ n, rampMs: 1000 })),
  ];
  const rows: string[][] = [];
  let identicalAll = true;
  for (const run of runs) {
    const replay = await startReplayServer({ cassette: [trace], speed: 1 });
    await world.clients(`${replay.url}${PATH}`, 5, BENCH_REQUEST, 'rw', { lean: true });
    const [replays, rss] = await withPeakRss(() => world.clients(`${replay.url}${PATH}`, run.n, BENCH_REQUEST, 'r', { lean: true, rampMs: run.rampMs }));
    const late = replay.lateness();
    await replay.close();
    const identical = replays.filter((r) => !r.dropped && r.sha256 === expectedSha && r.frameAt.length === planned.length).length;
    identicalAll &&= identical === run.n;
    const errs = replays.map((r) => timingErrors(r, planned));
    const all = spread(errs.flatMap((e) => e.errors));
    const drift = spread(errs.map((e) => e.drift));
    const ttfb = spread(errs.map((e) => e.ttfb));
    rows.push([
      `  ${run.n} ${run.rampMs === 0 ? 'all at once' : `over ${run.rampMs / 1000} s`}`,
      `${identical}/${run.n}`,
      fmt(all.p50),
      fmt(all.p99),
      fmt(all.max),
      fmt(drift.p50),
      fmt(drift.max),
      fmt(ttfb.p50),
      fmt(ttfb.p99),
      `${fmt(late.p50, 2)}/${fmt(late.p99, 2)}/${fmt(late.max, 1)}`,
      mb(rss),
    ]);
  }
  out.push(
    `  concurrent replays of one cassette on one server, measured by raw-socket clients in the child process (ms; |drift| per stream;`,
    `  server late = how late the server wrote each piece against its target, p50/p99/max, from replay.lateness(), warm-up included):`,
    table(['  streams, started', 'identical', 'err p50', 'p99', 'max', 'drift p50', 'max', 'TTFB p50', 'p99', 'server late', 'peak RSS'], rows),
    `  every frame of every replay byte-identical: ${identicalAll}`,
  );
  return out;
}

/** One recorder load run: a direct baseline, then the same streams through the recorder, started together or ramped. */
async function recorderLoad(o: BenchOptions, world: World, upstream: string, dir: string, rampMs: number, expected: Buffer, frames: number): Promise<{ row: string[]; rss: number }> {
  const n = o.recorderStreams;
  const tag = `r${rampMs}`;
  const expectedSha = sha(expected);
  const direct = await world.clients(`${upstream}${PATH}`, n, BENCH_REQUEST, `d${tag}`, { lean: true, rampMs });
  const directLat = spread(latencies(direct, await writesOf(world, direct, `d${tag}`), `d${tag}`));

  const store = createTraceStore(dir);
  const rec = await startRecorder({ upstream, onTrace: (t) => store.save(t).then(() => undefined) });
  // Warm the recorder's path (JIT, first connections) on short streams, as the single-stream run does.
  await world.clients(`${rec.url}${PATH}?frames=10`, 20, BENCH_REQUEST, `w${tag}`, { lean: true });
  await rec.flush();
  const [proxied, rss] = await withPeakRss(async () => {
    const runs = await world.clients(`${rec.url}${PATH}`, n, BENCH_REQUEST, `p${tag}`, { lean: true, rampMs });
    await rec.flush();
    return runs;
  });
  await rec.close();
  const writes = await writesOf(world, proxied, `p${tag}`);
  const proxiedLat = spread(latencies(proxied, writes, `p${tag}`));
  const forwarded = proxied.filter((r) => !r.dropped && r.sha256 === expectedSha).length;
  // Checked from the files written, after the run: what a user gets, and no extra work during it.
  let complete = 0;
  const failures: string[] = [];
  const tap: number[] = [];
  for (const file of await store.files()) {
    const t = await store.load(file);
    const id = t.http.request_headers['x-bench-id'] ?? '';
    if (!id.startsWith(`p${tag}-`)) continue;
    const bytes = Buffer.concat((t.chunks ?? []).map((c) => storedToBytes(c.raw, c.raw_encoding)));
    if (t.http.outcome === 'complete' && t.total_chunks === frames && bytes.equals(expected)) complete++;
    else failures.push(`trace ${id}: ${t.http.outcome}, ${t.total_chunks} chunks, ${bytes.length} bytes${t.http.error ? `, ${t.http.error}` : ''}`);
    // The tap's stamps against the upstream's own write times, both relative to the stream's first frame.
    const at = planPlayback(t).pieces.map((x) => x.at);
    const w = writes.get(id);
    if (w) for (let i = 0; i < at.length; i++) tap.push(at[i]! - at[0]! - (w[i]! - w[0]!));
  }
  proxied.forEach((r, i) => {
    if (r.dropped || r.sha256 !== expectedSha) failures.push(`client p${tag}-${i}: status ${r.status}, ${r.bytes} bytes, ${r.frameAt.length} frames${r.dropped ? ', dropped' : ''}`);
  });
  // Anything lost is a bug to chase, not a figure: say what it looked like.
  if (failures.length > 0) process.stderr.write(`bench: recorder load${rampMs ? ' (ramped)' : ''}: ${failures.length} failure(s):\n  ${failures.slice(0, 6).join('\n  ')}\n`);
  const t = spread(tap);
  const row = [
    `  ${n} ${rampMs === 0 ? 'all at once' : `over ${rampMs / 1000} s`}`,
    `${forwarded}/${n}`,
    `${complete}/${n}`,
    fmt(directLat.p50),
    fmt(directLat.p99),
    fmt(proxiedLat.p50),
    fmt(proxiedLat.p99),
    fmt(proxiedLat.max),
    fmt(proxiedLat.p50 - directLat.p50),
    fmt(t.p50),
    fmt(t.p99),
  ];
  return { row, rss };
}

/**
 * Issue-6 load figures. The process under test (recorder, then replay server) runs here alone; the
 * upstream and every client run in a child process.
 */
export async function benchLoad(o: BenchOptions): Promise<string> {
  const world = startWorld();
  const dir = await mkdtemp(join(tmpdir(), 'tf-bench-load-'));
  try {
    const stream = jitteredStream(o.chunks);
    const expected = Buffer.concat(stream.frames);
    const expectedSha = sha(expected);
    const upstream = await world.upstream(o.chunks);
    const out: string[] = [
      `Load (issue 6): the ${stream.frames.length}-chunk jittered stream; clients and upstream in a child process, TraceForge alone in this one`,
    ];

    out.push(...(await replayLoad(o, world, upstream, expectedSha)));

    await world.clients(`${upstream}${PATH}?frames=10`, 20, BENCH_REQUEST, 'warm', { lean: true });
    const recRows: string[][] = [];
    let recRss = 0;
    for (const rampMs of [0, 1000]) {
      const { row, rss } = await recorderLoad(o, world, upstream, join(dir, `traces-${rampMs}`), rampMs, expected, stream.frames.length);
      recRows.push(row);
      recRss = Math.max(recRss, rss);
    }
    out.push(
      `  ${o.recorderStreams} concurrent streams through one recorder (the traces written, then read back and checked): per chunk, upstream write -> client arrival,`,
      `  direct and through the recorder; added = p50 difference; tap = the recorder's stamps against the upstream's writes (ms):`,
      table(['  streams, started', 'got every byte', 'traces complete', 'direct p50', 'p99', 'proxied p50', 'p99', 'max', 'added p50', 'tap p50', 'p99'], recRows),
      `  peak RSS of the recorder's process over both runs: ${mb(recRss)}`,
    );

    out.push(`  targets: zero lost or corrupted bytes; recorder added latency p50 <= 0.3 ms (single stream, see replay); per-chunk p99 <= 3 ms at ${o.loadReplays} concurrent; drift <= 2 ms`);
    return out.join('\n');
  } finally {
    await world.close();
    await rm(dir, { recursive: true, force: true });
  }
}
