import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyCassette } from '../cassette/codec.js';
import { writeCassette } from '../store/cassette-file.js';
import { mono, openConnection, timedPost, type Timed } from './client.js';
import type { BenchOptions } from './options.js';
import { BENCH_REQUEST, recordBenchStream } from './replay-timing.js';
import { fmt, percentile, spread, table } from './stats.js';
import { startWorld } from './world.js';

const PATH = '/v1/chat/completions';
const CHUNKS = 120;
const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

export interface ColdRun {
  timed: Timed;
  /** The same call again on the now warm process, for comparison. */
  again: Timed;
  /** ms the client spent opening the first call's connection (not in timed.sentAt). */
  connectMs: number;
  /** Wall ms from spawn to the listening line. */
  startMs: number;
  stderr: string;
}

/**
 * Start `args` in a fresh node process, wait for the line naming its URL, send the bench request
 * once, then stop it with SIGINT and keep what it said on stderr.
 */
export async function coldRun(args: string[]): Promise<ColdRun> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`bench cold: ${args.join(' ')} exited (${code}) before listening: ${stderr.trim()}`)));
  });
  const startMs = performance.now() - t0;
  // The upstream's clock starts when a request arrives, after its connection was set up: so does the
  // client's here (the connection is opened first, then the request sent), and the connect time is kept.
  const c0 = mono();
  const socket = await openConnection(url);
  const connectMs = mono() - c0;
  const timed = await timedPost(`${url}${PATH}`, BENCH_REQUEST, { socket });
  const again = await timedPost(`${url}${PATH}`, BENCH_REQUEST, { socket: await openConnection(url) });
  child.kill('SIGINT');
  await exited;
  return { timed, again, connectMs, startMs, stderr };
}

/** Errors against the upstream's own times (ms after the request reached it): the first chunk's, and each gap's. */
export function coldErrors(t: Timed, truth: readonly number[]): { first: number; gaps: number[] } {
  const n = Math.min(t.frameAt.length, truth.length);
  const gaps: number[] = [];
  for (let i = 1; i < n; i++) gaps.push(t.frameAt[i]! - t.frameAt[i - 1]! - (truth[i]! - truth[i - 1]!));
  return { first: t.frameAt[0]! - t.sentAt - truth[0]!, gaps };
}

const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);

/**
 * Issue 20 part 3: the first call of a fresh process. A 120-event stream is recorded through the
 * recorder; then, N times each, a fresh `traceforge replay` process (dist/cli/bin.js), a fresh
 * process running the replay thread (what useCassette starts) and a fresh bare node:http floor
 * replayer are started and sent the call once, as soon as they say they are listening.
 */
export async function benchCold(o: BenchOptions): Promise<string> {
  const runs = Number(process.env.BENCH_COLD_RUNS ?? (o.quick ? 5 : 10));
  const world = startWorld();
  const dir = await mkdtemp(join(tmpdir(), 'traceforge-cold-'));
  try {
    const r = await recordBenchStream({ ...o, chunks: CHUNKS }, world);
    const [timeline] = await world.timeline(['proxied']);
    if (!timeline || timeline.arrival === null) throw new Error('bench cold: the upstream has no timeline for the recorded call');
    const truth = timeline.writes.map((w) => w - timeline.arrival!);
    const cassette = join(dir, 'cold.yaml');
    await writeCassette(cassette, { ...emptyCassette(), interactions: [r.trace] });
    const kinds = [
      { name: 'traceforge replay (CLI)', args: [here('../cli/bin.js'), 'replay', cassette, '--port', '0'] },
      { name: 'replay thread (useCassette)', args: [here('./thread-replayer.js'), cassette] },
      { name: 'floor: bare node:http', args: [here('./floor-replayer.js'), cassette] },
    ];
    const results = kinds.map(() => [] as ColdRun[]);
    // Interleaved, so the three see the same machine.
    for (let i = 0; i < runs; i++) for (const [k, kind] of kinds.entries()) results[k]!.push(await coldRun(kind.args));
    const rows = kinds.map((kind, k) => {
      const errs = results[k]!.map((run) => coldErrors(run.timed, truth));
      const firsts = errs.map((e) => e.first);
      const gaps = spread(errs.flatMap((e) => e.gaps));
      const identical = results[k]!.every((run) => run.timed.body!.equals(r.expected) && run.again.body!.equals(r.expected));
      const warm = results[k]!.map((run) => coldErrors(run.again, truth));
      const connect = median(results[k]!.map((run) => run.connectMs));
      return { kind, firsts, gaps, identical, connect, warmFirst: median(warm.map((e) => e.first)), warmGaps: spread(warm.flatMap((e) => e.gaps)), start: median(results[k]!.map((run) => run.startMs)) };
    });
    const floor = rows.at(-1)!;
    const out = [
      `Cold start (issue 20): a ${r.frames}-event recorded stream, each replayer started in a fresh process ${runs} times and called once as soon as it`,
      `  listens. Errors against the upstream's own log, whose clock starts when the request reaches it: first chunk = (arrival - sent) - upstream TTFB,`,
      `  the request sent on a connection opened just before (the median connect time is shown apart), gap = each inter-event gap as received -`,
      `  as the upstream wrote it; then a 2nd call to the same, now warm, process. Same client and cassette, runs interleaved. ms.`,
      table(
        ['', 'first-chunk median', 'first-chunk max', '+ connect', 'gap p50', 'gap p99', 'gap max', 'p99 / floor', '2nd call: first-chunk median', 'gap p99', 'start', 'bytes identical'],
        rows.map((x) => [
          x.kind.name,
          fmt(median(x.firsts)),
          fmt(Math.max(...x.firsts)),
          fmt(x.connect),
          fmt(x.gaps.p50),
          fmt(x.gaps.p99),
          fmt(x.gaps.max),
          `${(x.gaps.p99 / floor.gaps.p99).toFixed(2)}x`,
          fmt(x.warmFirst),
          fmt(x.warmGaps.p99),
          fmt(x.start, 0),
          String(x.identical),
        ]),
      ),
      `  recorded first-chunk offset ${fmt(r.planned[0]!)} ms; the upstream's own TTFB ${fmt(truth[0]!)} ms (the recorder's clock starts once its upstream request is written, as the replay's once the request has arrived)`,
      ...rows.map((x) => `  first chunks, ${x.kind.name}: ${x.firsts.map((f) => fmt(f, 2)).join(' ')}`),
      `  targets: first-chunk error median <= 2 ms, gap p99 <= 1.5x the floor's`,
    ];
    for (const [k, kind] of kinds.entries()) {
      const notes = results[k]!.map((run) => run.stderr.trim()).filter((s) => s.length > 0);
      if (notes.length > 0) out.push(`  ${kind.name} stderr (${notes.length} of ${runs} runs), first: ${notes[0]!.split('\n').join(' | ')}`);
    }
    return out.join('\n');
  } finally {
    await world.close();
    await rm(dir, { recursive: true, force: true });
  }
}
