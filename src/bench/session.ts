import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCassette } from '../session.js';
import { idFromFileName, createTraceStore } from '../store/trace-store.js';
import type { Trace } from '../trace/types.js';
import { recorderAddedLatency } from './aimock-compare.js';
import { mono } from './client.js';
import type { BenchOptions } from './options.js';
import { BENCH_REQUEST } from './replay-timing.js';
import { runCassetteChild, vmHwm, type LoadReport, type MakeReport } from './session-cassette.js';
import type { SessionClientReport } from './session-client.js';
import { fmt, mb, spread, table } from './stats.js';
import { startWorld, type UpstreamTimeline, type World } from './world.js';

/**
 * Issue-10 session figures: recording many calls into one cassette, as `traceforge record --cassette`
 * and `openCassette` do. Every timing is checked against the upstream's own log (request arrival and
 * each frame's write, CLOCK_MONOTONIC, in the world process), never against the recorder's numbers.
 */
const PATH = '/v1/chat/completions';
const BIN = fileURLToPath(new URL('../cli/bin.js', import.meta.url));
const CLIENT = fileURLToPath(new URL('./session-client.js', import.meta.url));
/** Pace of the sequential stream: 200 chunks in about 0.2 s, so 200 calls fit in a bench run. */
const SEQ_SCALE = 0.04;
/** Pace of the busy-process stream: gaps of ~0.5-7.5 ms and stalls of 15-75 ms, against a 25/50 ms block. */
const BUSY_SCALE = 0.25;

/** The recorded figures of one call against the upstream's log. */
interface CallError {
  /** Recorded first_chunk_latency_ms - (first write - request arrival). */
  ttfb: number;
  /** Recorded delta_ms - (write[i] - write[i-1]), chunks 2..n. */
  deltas: number[];
  /** Recorded chunks, upstream writes. */
  chunks: number;
  writes: number;
}

function callError(trace: Trace | undefined, tl: UpstreamTimeline | undefined): CallError | undefined {
  if (!trace || !tl || tl.arrival === null || tl.writes.length === 0) return undefined;
  const chunks = trace.chunks ?? [];
  const n = Math.min(chunks.length, tl.writes.length);
  const deltas: number[] = [];
  for (let i = 1; i < n; i++) deltas.push(chunks[i]!.delta_ms - (tl.writes[i]! - tl.writes[i - 1]!));
  return { ttfb: (trace.first_chunk_latency_ms ?? Number.NaN) - (tl.writes[0]! - tl.arrival), deltas, chunks: chunks.length, writes: tl.writes.length };
}

const benchId = (t: Trace): string => t.http.request_headers['x-bench-id'] ?? '';
const signed = (n: number | undefined, digits = 3): string => (n === undefined || !Number.isFinite(n) ? '—' : `${n >= 0 ? '+' : ''}${n.toFixed(digits)}`);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
/** "ok" / "MISS" for a figure against its goal; "—" when there is no figure. */
const verdict = (value: number | undefined, limit: number | undefined): string =>
  value === undefined || limit === undefined || !Number.isFinite(value) || !Number.isFinite(limit) ? '—' : Math.abs(value) <= limit ? 'ok' : 'MISS';

// ---------------------------------------------------------------------------------------------
// `traceforge record` as users run it, with the bench's app as its command

interface CliRun {
  report?: SessionClientReport;
  /** CLI exit code; null when it had to be stopped. */
  code: number | null;
  /** The CLI was still running at its limit and was stopped (its last traces may not be on disk). */
  stopped: boolean;
  /** Peak RSS of the CLI's process (the recorder; VmHWM). */
  peakRss: number;
  /** mono() at spawn and at exit. */
  startedAt: number;
  exitedAt: number;
  /** mono() when the number of trace files on disk last changed, and that number. */
  lastTraceAt: number;
  traceFiles: number;
  /** mono() when the cassette file was last seen to change (size, mtime or inode). */
  lastCassetteAt: number;
  /** mono() when the k-th trace file (index k-1) and the k-th complete cassette entry were first seen on disk. */
  traceSeenAt: number[];
  entrySeenAt: number[];
  tracesDir: string;
  cassette?: string;
  stderrTail: string;
}

interface CliOptions {
  upstream: string;
  dir: string;
  withCassette: boolean;
  env: Record<string, string>;
  /** Stop the CLI this long after its app wrote its report (so the flush is bounded). */
  afterClientMs: number;
  /** Stop the CLI this long after it started, whatever happened. */
  limitMs: number;
}

/**
 * `node dist/cli/bin.js record --upstream U [--cassette C] --port 0 -- node session-client.js`, in a
 * fresh directory (traces go to its .ai-tests/traces). While it runs, the trace directory and the
 * cassette are polled every 10 ms, so the moment the last trace and the last cassette entry reached the
 * disk is known on the same clock as the upstream's stamps.
 */
async function runRecordCli(o: CliOptions): Promise<CliRun> {
  await mkdir(o.dir, { recursive: true });
  const tracesDir = join(o.dir, '.ai-tests', 'traces');
  const cassette = o.withCassette ? join(o.dir, 'fixtures', 'session.yaml') : undefined;
  const out = join(o.dir, 'client.json');
  const args = [BIN, 'record', '--upstream', o.upstream, ...(cassette ? ['--cassette', cassette] : []), '--port', '0', '--', process.execPath, CLIENT];
  const startedAt = mono();
  const child = spawn(process.execPath, args, { cwd: o.dir, env: { ...process.env, ...o.env, TF_BENCH_OUT: out }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderrTail = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderrTail = (stderrTail + d).slice(-4000)));
  const run: CliRun = { code: null, stopped: false, peakRss: 0, startedAt, exitedAt: 0, lastTraceAt: startedAt, traceFiles: 0, lastCassetteAt: startedAt, traceSeenAt: [], entrySeenAt: [], tracesDir, cassette, stderrTail: '' };
  let cassetteKey = '';
  // Complete entries are counted in the bytes appended since the last look (each ends with a `...` line).
  let cassetteRead = 0;
  let cassetteTail = '';
  let clientDoneAt = 0;
  let ticks = 0;
  const poll = async () => {
    const at = mono();
    const names = await readdir(tracesDir).catch(() => [] as string[]);
    const count = names.filter((n) => idFromFileName(n) !== null).length;
    if (count !== run.traceFiles) {
      run.traceFiles = count;
      run.lastTraceAt = at;
    }
    while (run.traceSeenAt.length < count) run.traceSeenAt.push(at);
    if (cassette) {
      const s = await stat(cassette).catch(() => undefined);
      const key = s ? `${s.ino}:${s.size}:${s.mtimeMs}` : '';
      if (key !== cassetteKey) {
        cassetteKey = key;
        run.lastCassetteAt = at;
      }
      if (s && s.size > cassetteRead) {
        const fh = await open(cassette, 'r');
        try {
          const buf = Buffer.alloc(s.size - cassetteRead);
          const { bytesRead } = await fh.read(buf, 0, buf.length, cassetteRead);
          cassetteRead += bytesRead;
          const text = cassetteTail + buf.subarray(0, bytesRead).toString('latin1');
          const ends = text.match(/\n\.\.\.\n/g)?.length ?? 0;
          cassetteTail = text.slice(-4);
          for (let k = 0; k < ends; k++) run.entrySeenAt.push(at);
        } finally {
          await fh.close();
        }
      }
    }
    if (ticks++ % 10 === 0) run.peakRss = Math.max(run.peakRss, await vmHwm(child.pid));
    if (!clientDoneAt && existsSync(out)) clientDoneAt = at;
    const now = mono();
    if (!run.stopped && ((clientDoneAt && now - clientDoneAt > o.afterClientMs) || now - startedAt > o.limitMs)) {
      run.stopped = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    }
  };
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    void poll().finally(() => (polling = false));
  }, 10);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearInterval(timer);
  while (polling) await new Promise((r) => setTimeout(r, 1));
  run.exitedAt = mono();
  await poll();
  run.code = run.stopped ? null : code;
  run.stderrTail = stderrTail;
  if (existsSync(out)) run.report = JSON.parse(readFileSync(out, 'utf8')) as SessionClientReport;
  return run;
}

/** Every trace file the run left, by x-bench-id. */
async function tracesOf(dir: string): Promise<Map<string, Trace>> {
  const store = createTraceStore(dir);
  const byId = new Map<string, Trace>();
  for (const file of await store.files().catch(() => [] as string[])) {
    const t = await store.load(file);
    byId.set(benchId(t), t);
  }
  return byId;
}

/** Interactions in a cassette, counted by loadCassette in its own process (a big cassette would bloat this one). */
async function countCassette(path: string | undefined, limitMs: number): Promise<string> {
  if (!path || !existsSync(path)) return 'no file';
  const r = await runCassetteChild<LoadReport>(['--load', path], limitMs);
  return r.value ? String(r.value.interactions) : `unreadable (${r.error})`;
}

function describeFailure(name: string, run: CliRun): string | undefined {
  const problems = [
    ...(run.report?.failures ?? []),
    ...(run.report ? [] : ['the app wrote no report']),
    ...(run.stopped ? [`the CLI was still flushing at its limit and was stopped`] : run.code !== 0 ? [`the CLI exited with ${run.code}`] : []),
  ];
  if (problems.length === 0) return undefined;
  const tail = run.stderrTail.split('\n').filter((l) => l && !l.includes('●')).slice(-3).join(' | ');
  return `${name}: ${problems.join('; ')}${tail ? ` (stderr: ${tail.slice(0, 400)})` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// 1. sequential calls into one cassette

interface SequentialRun {
  run: CliRun;
  errors: Array<CallError | undefined>;
  traces: number;
  entries: string;
}

/** How long `traceforge record` may take to flush after its app is done before it is stopped. */
const flushLimit = (o: BenchOptions): number => (o.quick ? 5_000 : 15_000);

async function sequential(o: BenchOptions, world: World, upstream: string, dir: string, withCassette: boolean, tag: string, deadlineMs: number): Promise<SequentialRun> {
  const run = await runRecordCli({
    upstream,
    dir,
    withCassette,
    env: { TF_BENCH_MODE: 'sequential', TF_BENCH_CALLS: String(o.sessionCalls), TF_BENCH_TAG: tag, TF_BENCH_DEADLINE: String(mono() + deadlineMs) },
    afterClientMs: flushLimit(o),
    limitMs: deadlineMs + 30_000,
  });
  const traces = await tracesOf(run.tracesDir);
  const ids = Array.from({ length: o.sessionCalls }, (_, i) => `${tag}-${i}`);
  const timeline = await world.timeline(ids);
  const errors = ids.map((id, i) => callError(traces.get(id), timeline[i]));
  return { run, errors, traces: traces.size, entries: withCassette ? await countCassette(run.cassette, 60_000) : '—' };
}

async function benchSequential(o: BenchOptions, world: World, dir: string): Promise<{ lines: string[]; notes: string[] }> {
  const n = o.sessionCalls;
  const upstream = await world.upstream(200, SEQ_SCALE);
  const base = await sequential(o, world, upstream, join(dir, 'seq-plain'), false, 'sp', 180_000);
  const baseMs = base.run.exitedAt - base.run.startedAt;
  // The cassette run may take longer, but not forever: past this the app stops calling and the
  // calls it did not make are reported as not reached.
  const slack = o.quick ? 5_000 : 15_000;
  const limit = Math.max(1.5 * baseMs, baseMs + slack);
  const cas = await sequential(o, world, upstream, join(dir, 'seq-cassette'), true, 'sc', limit);
  // Calls 1, n/2 and n; and, when the cassette session stopped early, the last call it made.
  const reached = cas.errors.findLastIndex((e) => e !== undefined);
  const picks = [...new Set([0, Math.floor(n / 2) - 1, n - 1, ...(reached >= 0 ? [reached] : [])])].sort((a, b) => a - b);
  const rows: string[][] = [];
  const missing = (r: SequentialRun, i: number) =>
    (r.run.report?.calls ?? 0) <= i ? `not reached` : 'no trace';
  for (const i of picks) {
    const b = base.errors[i];
    const c = cas.errors[i];
    const bd = b ? spread(b.deltas) : undefined;
    const cd = c ? spread(c.deltas) : undefined;
    const last = i === n - 1;
    const ttfbGoal = last && b ? Math.max(Math.abs(b.ttfb) * 1.5, 0) : undefined;
    const deltaGoal = last && bd ? bd.p99 * 1.5 : undefined;
    const name = `call ${i + 1}${i === reached && i < n - 1 ? ' (the last the cassette session recorded)' : ''}`;
    rows.push([`${name}: TTFB error`, b ? signed(b.ttfb) : missing(base, i), c ? signed(c.ttfb) : missing(cas, i), last ? `|err| <= 1.5x no cassette (${fmt(ttfbGoal ?? Number.NaN)})` : '', last ? verdict(c?.ttfb, ttfbGoal) : '']);
    rows.push([`call ${i + 1}: delta_ms error p50`, bd ? fmt(bd.p50) : '—', cd ? fmt(cd.p50) : '—', '', '']);
    rows.push([`call ${i + 1}: delta_ms error p99`, bd ? fmt(bd.p99) : '—', cd ? fmt(cd.p99) : '—', last ? `<= 1.5x no cassette (${fmt(deltaGoal ?? Number.NaN)})` : '', last ? verdict(cd?.p99, deltaGoal) : '']);
  }
  // One call's TTFB error is one sample of a figure that moves by a millisecond from call to call on a
  // shared machine; the last ten calls, side by side, say the same thing about the end of the session
  // with less luck in it.
  const tail = (r: SequentialRun) => {
    const got = r.errors.slice(Math.max(0, n - 10)).filter((e): e is CallError => e !== undefined);
    return got.length === Math.min(10, n) ? { ttfb: spread(got.map((e) => e.ttfb)).p50, delta: spread(got.flatMap((e) => e.deltas)).p99 } : undefined;
  };
  const bt = tail(base);
  const ct = tail(cas);
  const span = `calls ${Math.max(1, n - 9)}-${n}`;
  rows.push([`${span}: |TTFB error| median`, bt ? fmt(bt.ttfb) : '—', ct ? fmt(ct.ttfb) : '—', bt ? `<= 1.5x no cassette (${fmt(bt.ttfb * 1.5)})` : '', verdict(ct?.ttfb, bt ? bt.ttfb * 1.5 : undefined)]);
  rows.push([`${span}: delta_ms error p99`, bt ? fmt(bt.delta) : '—', ct ? fmt(ct.delta) : '—', bt ? `<= 1.5x no cassette (${fmt(bt.delta * 1.5)})` : '', verdict(ct?.delta, bt ? bt.delta * 1.5 : undefined)]);
  const all = (r: SequentialRun) => {
    const got = r.errors.filter((e): e is CallError => e !== undefined);
    return { ttfb: spread(got.map((e) => e.ttfb)), delta: spread(got.flatMap((e) => e.deltas)), n: got.length };
  };
  const ba = all(base);
  const ca = all(cas);
  rows.push([`every call: |TTFB error| p50 / p99`, `${fmt(ba.ttfb.p50)} / ${fmt(ba.ttfb.p99)}`, `${fmt(ca.ttfb.p50)} / ${fmt(ca.ttfb.p99)}`, '', '']);
  rows.push([`every call: |delta_ms error| p50 / p99`, `${fmt(ba.delta.p50)} / ${fmt(ba.delta.p99)}`, `${fmt(ca.delta.p50)} / ${fmt(ca.delta.p99)}`, '', '']);
  // Each call's end (the app's clock) to its trace file, and its cassette entry, first seen on disk.
  const onDisk = (r: SequentialRun) => {
    const ends = r.run.report?.ends ?? [];
    const lags: number[] = [];
    for (let i = 0; i < ends.length; i++) {
      const seen = Math.max(r.run.traceSeenAt[i] ?? Number.NaN, r.run.cassette ? (r.run.entrySeenAt[i] ?? Number.NaN) : -Infinity);
      if (typeof ends[i] === 'number') lags.push(seen - ends[i]!);
    }
    return lags.some((x) => !Number.isFinite(x)) ? undefined : spread(lags);
  };
  const bl = onDisk(base);
  const cl = onDisk(cas);
  const lagText = (x: ReturnType<typeof onDisk>) => (x ? `${fmt(x.p50, 0)} / ${fmt(x.p99, 0)} / ${fmt(x.max, 0)}` : 'not all seen');
  rows.push([`every call: end -> trace file (and entry) on disk, p50 / p99 / max`, lagText(bl), lagText(cl), 'max <= 100 (polled every 10 ms)', verdict(cl?.max, 100)]);
  const counts = (r: SequentialRun) => `${r.run.report?.complete ?? 0}/${r.traces}/${r.entries}`;
  rows.push([`calls completed / trace files / cassette entries`, counts(base), counts(cas), `${n}/${n}/${n}`, verdict(cas.run.report?.complete === n && cas.traces === n && cas.entries === String(n) ? 0 : 1, 0)]);
  rows.push([`session wall time (CLI start to exit)`, seconds(baseMs), `${seconds(cas.run.exitedAt - cas.run.startedAt)}${cas.run.stopped ? ' (stopped)' : ''}`, '', '']);
  rows.push([`recorder peak RSS`, mb(base.run.peakRss), mb(cas.run.peakRss), '', '']);
  const mismatch = [base, cas].flatMap((r) => r.errors.filter((e) => e && e.chunks !== e.writes).map((e) => `${e!.chunks} chunks recorded for ${e!.writes} written`));
  const notes = [describeFailure('sequential, no cassette', base.run), describeFailure('sequential, cassette', cas.run)].filter((x): x is string => x !== undefined);
  if (cas.run.report?.stoppedEarly) notes.push(`sequential, cassette: the app stopped calling after ${cas.run.report.calls} of ${n} calls (${seconds(limit)} limit: 1.5x the no-cassette session, at least +${slack / 1000} s)`);
  if (mismatch.length > 0) notes.push(`${mismatch.length} call(s) with a chunk count unlike the upstream's, e.g. ${mismatch[0]}`);
  return {
    lines: [
      `  1. ${n} sequential calls, each the 200-chunk jittered stream at ${SEQ_SCALE}x pace (~0.2 s), through \`traceforge record --upstream U [--cassette C] --port 0 -- node session-client.js\`;`,
      `     recorded first_chunk_latency_ms against the upstream's (first write - request arrival), recorded delta_ms against its write gaps (ms):`,
      table(['', 'no cassette', 'cassette', 'goal', ''], rows),
    ],
    notes,
  };
}

// ---------------------------------------------------------------------------------------------
// 2. concurrent calls into one cassette

async function benchConcurrent(o: BenchOptions, world: World, dir: string): Promise<{ lines: string[]; notes: string[] }> {
  const n = o.sessionConcurrent;
  const upstream = await world.upstream(200);
  const runs: CliRun[] = [];
  const entries: string[] = [];
  for (const withCassette of [false, true]) {
    const run = await runRecordCli({
      upstream,
      dir: join(dir, withCassette ? 'conc-cassette' : 'conc-plain'),
      withCassette,
      env: { TF_BENCH_MODE: 'concurrent', TF_BENCH_CALLS: String(n), TF_BENCH_TAG: withCassette ? 'cc' : 'cp' },
      afterClientMs: flushLimit(o),
      limitMs: 120_000,
    });
    runs.push(run);
    entries.push(withCassette ? await countCassette(run.cassette, 60_000) : '—');
  }
  const lastEnd = (r: CliRun) => Math.max(...(r.report?.ends ?? []).filter((x) => typeof x === 'number'));
  const after = (r: CliRun, at: number, complete: boolean) => (complete ? `${fmt(at - lastEnd(r), 0)} ms` : `> ${fmt(r.exitedAt - lastEnd(r), 0)} ms (stopped)`);
  const [plain, cas] = runs as [CliRun, CliRun];
  const traceRow = (r: CliRun) => after(r, r.lastTraceAt, r.traceFiles === n && !r.stopped);
  const cassetteDone = entries[1] === String(n) && !cas.stopped;
  const rows = [
    ['last trace file on disk, after the last response ended', traceRow(plain), traceRow(cas), '<= 1000 ms', verdict(cas.traceFiles === n && !cas.stopped ? cas.lastTraceAt - lastEnd(cas) : Number.NaN, 1000)],
    ['last cassette entry on disk, after the last response ended', '—', after(cas, cas.lastCassetteAt, cassetteDone), '<= 1000 ms', cassetteDone ? verdict(cas.lastCassetteAt - lastEnd(cas), 1000) : 'MISS'],
    ['calls completed / trace files / cassette entries', `${plain.report?.complete ?? 0}/${plain.traceFiles}/—`, `${cas.report?.complete ?? 0}/${cas.traceFiles}/${entries[1]}`, `${n}/${n}/${n}`, verdict(cas.report?.complete === n && cassetteDone && cas.traceFiles === n ? 0 : 1, 0)],
    ['recorder (CLI process) peak RSS', mb(plain.peakRss), mb(cas.peakRss), '', ''],
  ];
  const notes = [describeFailure('concurrent, no cassette', plain), describeFailure('concurrent, cassette', cas)].filter((x): x is string => x !== undefined);
  return {
    lines: [
      `  2. ${n} concurrent calls (the 200-chunk stream at its recorded pace, ~5 s), one \`traceforge record\` process; files polled every 10 ms, cassette counted by loadCassette:`,
      table(['', 'no cassette', 'cassette', 'goal', ''], rows),
    ],
    notes,
  };
}

// ---------------------------------------------------------------------------------------------
// 3. openCassette in a process whose main thread is busy

/**
 * One openCassette session, its calls alternating between this process's main thread idle and
 * busy-waiting 25 ms of every 50, so whatever else the machine is doing falls on both alike.
 */
async function busySession(world: World, upstream: string, path: string, calls: number): Promise<{ quiet: { errors: CallError[]; recorded: number }; busy: { errors: CallError[]; recorded: number } }> {
  const session = await openCassette(path, { mode: 'all', upstream });
  let blocker: NodeJS.Timeout | undefined;
  try {
    await world.clients(`${session.url}${PATH}?frames=10`, 3, BENCH_REQUEST, 'bw', { lean: true });
    for (let i = 0; i < calls; i++) {
      for (const busy of [false, true]) {
        if (busy) {
          blocker = setInterval(() => {
            const end = performance.now() + 25;
            while (performance.now() < end);
          }, 50);
        }
        await world.clients(`${session.url}${PATH}`, 1, BENCH_REQUEST, `${busy ? 'bb' : 'bq'}${i}`, { lean: true });
        clearInterval(blocker);
        blocker = undefined;
      }
    }
  } finally {
    clearInterval(blocker);
    await session.close();
  }
  const traces = new Map(session.recorded.map((t) => [benchId(t), t]));
  const side = async (tag: string) => {
    const ids = Array.from({ length: calls }, (_, i) => `${tag}${i}-0`);
    const timeline = await world.timeline(ids);
    const errors = ids.map((id, i) => callError(traces.get(id), timeline[i])).filter((e): e is CallError => e !== undefined);
    return { errors, recorded: errors.length };
  };
  return { quiet: await side('bq'), busy: await side('bb') };
}

async function benchBusy(o: BenchOptions, world: World, dir: string): Promise<{ lines: string[]; notes: string[] }> {
  const upstream = await world.upstream(200, BUSY_SCALE);
  const calls = o.quick ? 2 : 6;
  const { quiet, busy } = await busySession(world, upstream, join(dir, 'busy.yaml'), calls);
  const q = spread(quiet.errors.flatMap((e) => e.deltas));
  const b = spread(busy.errors.flatMap((e) => e.deltas));
  const qt = spread(quiet.errors.map((e) => e.ttfb));
  const bt = spread(busy.errors.map((e) => e.ttfb));
  const rows = [
    ['|delta_ms error| p50', fmt(q.p50), fmt(b.p50), '', ''],
    ['|delta_ms error| p99', fmt(q.p99), fmt(b.p99), `<= 1.5x quiet (${fmt(q.p99 * 1.5)})`, verdict(b.p99, q.p99 * 1.5)],
    ['|delta_ms error| max', fmt(q.max), fmt(b.max), '', ''],
    ['|TTFB error| p50 / max', `${fmt(qt.p50)} / ${fmt(qt.max)}`, `${fmt(bt.p50)} / ${fmt(bt.max)}`, '', ''],
    ['calls recorded', `${quiet.recorded}/${calls}`, `${busy.recorded}/${calls}`, `${calls}/${calls}`, verdict(quiet.recorded === calls && busy.recorded === calls ? 0 : 1, 0)],
  ];
  return {
    lines: [
      `  3. openCassette(path, { mode: 'all', upstream }) in this process, the app in the world process; ${calls} + ${calls} calls of the 200-chunk stream at ${BUSY_SCALE}x pace (~1.2 s),`,
      `     recorded delta_ms against the upstream's write gaps, alternating between this process's main thread idle and busy-waiting 25 ms of every 50 (ms):`,
      table(['', 'quiet', 'busy main thread', 'goal', ''], rows),
    ],
    notes: [],
  };
}

// ---------------------------------------------------------------------------------------------
// 4. recorder added latency, next to aimock's

async function benchAdded(o: BenchOptions, world: World, dir: string): Promise<{ lines: string[]; notes: string[] }> {
  const chunks = o.quick ? 100 : 200;
  const upstream = await world.upstream(chunks);
  const runs = o.quick ? 1 : 2;
  const a = await recorderAddedLatency(world, upstream, runs, dir);
  const addedTf = { p50: a.traceforge.p50 - a.direct.p50, p99: a.traceforge.p99 - a.direct.p99 };
  const addedAm = { p50: a.aimock.p50 - a.direct.p50, p99: a.aimock.p99 - a.direct.p99 };
  const goal = (am: number) => Math.min(Math.max(am, 0), 0.3);
  const rows = [
    ['direct (no recorder)', fmt(a.direct.p50), fmt(a.direct.p99), fmt(a.direct.max), '', '', `${a.complete.direct}/${runs}`, '', ''],
    ['TraceForge recorder', fmt(a.traceforge.p50), fmt(a.traceforge.p99), fmt(a.traceforge.max), fmt(addedTf.p50), fmt(addedTf.p99), `${a.complete.traceforge}/${runs}`, `added <= aimock's and <= 0.3 (p50 ${fmt(goal(addedAm.p50))}, p99 ${fmt(goal(addedAm.p99))})`, `${verdict(addedTf.p50, goal(addedAm.p50))} / ${verdict(addedTf.p99, goal(addedAm.p99))}`],
    ['aimock recorder', fmt(a.aimock.p50), fmt(a.aimock.p99), fmt(a.aimock.max), fmt(addedAm.p50), fmt(addedAm.p99), `${a.complete.aimock}/${runs}`, '', ''],
  ];
  return {
    lines: [
      `  4. per-chunk latency, upstream write -> app arrival, ${runs} run(s) of the ${chunks}-chunk stream at its recorded pace each (recorders in this process, upstream and app in`,
      `     the world process; added = through the recorder minus direct, at the same percentile; ms):`,
      table(['', 'p50', 'p99', 'max', 'added p50', 'added p99', 'complete', 'goal', ''], rows),
    ],
    notes: [],
  };
}

// ---------------------------------------------------------------------------------------------
// 5. a 250 MB cassette

/** `traceforge replay CASSETTE --port 0` until it says it is listening; its time and peak RSS. */
async function replayStartup(path: string, limitMs: number): Promise<{ ms: number; peakRss: number; error?: string; line?: string }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, 'replay', path, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let peak = 0;
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-2000)));
  const sample = setInterval(() => void vmHwm(child.pid).then((v) => (peak = Math.max(peak, v))), 100);
  const result = await new Promise<{ ms: number; error?: string; line?: string }>((resolve) => {
    const limit = setTimeout(() => resolve({ ms: performance.now() - t0, error: `not listening after the ${(limitMs / 1000).toFixed(0)} s limit` }), limitMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /^.*replaying.*https?:\/\/\S+.*$/m.exec(out);
      if (m) {
        clearTimeout(limit);
        resolve({ ms: performance.now() - t0, line: m[0] });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(limit);
      resolve({ ms: performance.now() - t0, error: `exited with ${code} before listening: ${err.trim().split('\n').slice(-2).join(' | ').slice(0, 300)}` });
    });
  });
  peak = Math.max(peak, await vmHwm(child.pid));
  clearInterval(sample);
  const gone = new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)));
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(force);
  return { ...result, peakRss: peak };
}

async function benchBigCassette(o: BenchOptions, dir: string): Promise<{ lines: string[]; notes: string[] }> {
  if (!o.bigCassette) return { lines: [`  5. 250 MB cassette load: skipped (--quick)`], notes: [] };
  const decimal = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB (${mb(bytes).replace(' MB', ' MiB')})`;
  const path = join(dir, 'big', 'big.yaml');
  await mkdir(join(dir, 'big'), { recursive: true });
  const made = await runCassetteChild<MakeReport>(['--make', path, String(250e6), '250'], 120_000);
  if (!made.value) return { lines: [`  5. 250 MB cassette: could not be written (${made.error})`], notes: [] };
  const LIMIT = 60_000;
  const replay = await replayStartup(path, LIMIT);
  const load = await runCassetteChild<LoadReport>(['--load', path], LIMIT);
  const rows = [
    ['`traceforge replay C --port 0` until listening', replay.error ? `— (${replay.error})` : seconds(replay.ms), mb(replay.peakRss)],
    ['loadCassette (own process, import excluded)', load.value ? seconds(load.value.ms) : `— (${load.error})`, mb(load.peakRss)],
  ];
  return {
    lines: [
      `  5. a ${decimal(made.value.bytes)} cassette (${made.value.interactions} recorded interactions of SSE bodies, 1 KiB events), written by writeCassette in ${seconds(made.value.writeMs)} (no goal set yet):`,
      table(['', 'time', 'peak RSS'], rows),
    ],
    notes: load.value && load.value.interactions !== made.value.interactions ? [`loadCassette found ${load.value.interactions} interactions, ${made.value.interactions} written`] : [],
  };
}

/** Issue-10 session benchmarks, in one run: 3 and 4 first, while this process's heap is still small. */
export async function benchSession(o: BenchOptions): Promise<string> {
  const world = startWorld();
  const dir = await mkdtemp(join(tmpdir(), 'tf-bench-session-'));
  try {
    // BENCH_SESSION=concurrent,added runs only those parts (while working on one figure).
    const only = process.env.BENCH_SESSION?.split(',').map((s) => s.trim());
    const part = async (name: string, run: () => Promise<{ lines: string[]; notes: string[] }>) => (!only || only.includes(name) ? run() : { lines: [], notes: [] });
    const parts = [
      await part('busy', () => benchBusy(o, world, join(dir, 'busy'))),
      await part('added', () => benchAdded(o, world, join(dir, 'added'))),
      await part('sequential', () => benchSequential(o, world, join(dir, 'seq'))),
      await part('concurrent', () => benchConcurrent(o, world, join(dir, 'conc'))),
      await part('big', () => benchBigCassette(o, dir)),
    ];
    const ordered = [parts[2]!, parts[3]!, parts[0]!, parts[1]!, parts[4]!];
    const notes = ordered.flatMap((p) => p.notes);
    return [
      `Session (issue 10): many calls recorded into one cassette; every timing against the upstream's own log (request arrival, frame writes; CLOCK_MONOTONIC)`,
      ...ordered.flatMap((p) => p.lines),
      ...(notes.length > 0 ? ['  notes:', ...notes.map((n) => `  - ${n}`)] : []),
    ].join('\n');
  } finally {
    await world.close();
    await rm(dir, { recursive: true, force: true });
  }
}
