/**
 * Run a command once without a fault, then once per fault of a sweep, each against its own replay
 * server, and collect what passed. No printing here: the CLI formats the report.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { TraceForgeError } from '../errors.js';
import { SWEEP_CONFIRM_RUNS } from './limits.js';
import { checkTimerMs } from '../util/real-timers.js';
import { startReplayServer } from '../replay/replay-server.js';
import { analyzeStream, DEFAULT_STALL_MS, DEFAULT_VIRTUAL_STALL_MS, type SweepFault, type SweepKind } from './points.js';
import { loadSweepTarget, type SweepOptions } from './index.js';
import { cassetteIdentity, SWEEP_ENV, type SweepEnv } from './env.js';
import { failureLine as reasonIn, stripAnsi } from './failure-line.js';
import { runnerTimeout, wallStall, type RunnerTimeout } from './runner-timeout.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { shortText } from '../util/one-line.js';
import { baseUrlEnv } from '../trace/providers/registry.js';

export interface SweepRunOptions extends SweepOptions {
  cassette: string;
  command: string;
  args?: readonly string[];
  /** Runs at once. Default os.availableParallelism(). */
  jobs?: number;
  /** Replay speed (1 recorded pace, 0 instant). Default 1. */
  speed?: number;
  /** A run still going after this many ms is killed and counted as failed. Default from the clean run (see below). */
  timeoutMs?: number;
  cwd?: string;
  /**
   * The environment the command gets, before the sweep's variables are added. Default process.env. The
   * command gets TRACEFORGE_SWEEP, which names the swept cassette and the run's fault: only a `useCassette`
   * (or openCassette) of that cassette takes the fault, and, unless this environment sets TRACEFORGE_CLOCK,
   * replays on the virtual clock, where a stall costs no wall time and no runner timeout is hit by the fault itself.
   */
  env?: NodeJS.ProcessEnv;
  /**
   * Also point OPENAI_BASE_URL, ANTHROPIC_BASE_URL, OLLAMA_HOST and GOOGLE_GEMINI_BASE_URL at the sweep's
   * replay server, for an app run as a child process without useCassette (`--base-urls`). Off by default:
   * in a test suite they would send every test's calls, whatever its cassette, to the swept one.
   */
  baseUrls?: boolean;
  /**
   * Where each run's output is written, as run-0.log (the clean run), run-1.log... in the sweep's order.
   * Default `.ai-tests/sweeps/<time>` under `cwd`; false for none.
   */
  logDir?: string | false;
  /** Told when each run ends (the clean run first, `fault` null). */
  onRun?: (run: FaultRun, done: number, total: number) => void;
  /** Told when a run starts. */
  onStart?: (fault: SweepFault | null, running: number, done: number, total: number) => void;
  /** Stops the sweep: running commands (and what they started) are killed, no new run starts. */
  signal?: AbortSignal;
  /**
   * Run a plan of more than {@link SWEEP_CONFIRM_RUNS} runs, or more jobs at once than the machine has
   * cores (`--yes`). Without it such a sweep is refused before anything runs.
   */
  yes?: boolean;
}

/**
 * Refuse, before anything runs, a plan over {@link SWEEP_CONFIRM_RUNS} runs or more jobs than cores, unless `yes`.
 * @example checkSweepPlan(8010, 2, false); // throws: 8,010 runs ... pass --yes
 */
export function checkSweepPlan(runs: number, jobs: number, yes: boolean | undefined, cores = availableParallelism()): void {
  if (yes) return;
  if (runs > SWEEP_CONFIRM_RUNS) {
    throw new TraceForgeError(
      'E_USAGE',
      `this sweep plans ${runs.toLocaleString('en-US')} runs of the command (${(runs - 1).toLocaleString('en-US')} faults and the clean run), over the ${SWEEP_CONFIRM_RUNS} that run without asking: pass --yes (yes: true) to run them all, or fewer with a smaller --budget or --kinds`,
    );
  }
  if (jobs > cores) {
    throw new TraceForgeError(
      'E_USAGE',
      `--jobs ${jobs} is more than this machine's ${cores} core(s): the runs would compete for CPU and be late on the wall clock; pass --yes (yes: true) to run ${jobs} at once anyway, or leave --jobs out (one per core)`,
    );
  }
}

export interface FaultRun {
  /** null for the clean run. */
  fault: SweepFault | null;
  passed: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  ms: number;
  /** stdout and stderr together, in arrival order, without terminal escapes (the first and last 64 KiB of it). */
  output: string;
  /** The file holding `output`, when the sweep keeps logs. */
  log?: string;
  /** Sessions of the command that opened the swept cassette (its useCassette), and the clock each replayed on. */
  opened: Array<'wall' | 'virtual'>;
  /** The line that says why it failed (empty when it passed). */
  firstLine: string;
  /** Requests the replay server answered from the cassette, and ones it could not match. */
  served: number;
  misses: number;
}

export interface SweepReport {
  cassette: string;
  /**
   * `virtual` when the swept cassette was to replay on the virtual clock (TRACEFORGE_SWEEP said so); `env`
   * when the command's own environment set TRACEFORGE_CLOCK; `wall` when the clean run failed with the
   * virtual clock and passed without it, so the sweep ran without it (see `notes`).
   */
  clock: 'virtual' | 'env' | 'wall';
  /** The stall faults' length, ms. */
  stallMs: number;
  /** The clock the stalls ran on: virtual when the swept cassette's useCassette answered every call there. */
  stallClock?: 'virtual' | 'wall';
  /** The test runner the command runs and its per-test timeout, when the sweep recognised one. */
  runnerTimeout?: RunnerTimeout;
  /** The directory of the runs' logs (run-0.log is the clean run). */
  logDir?: string;
  /** What the sweep decided on its own, one line each (the clock it fell back to, the stall it chose). */
  notes: string[];
  interaction: number;
  provider: string;
  chunks: number;
  baseline: FaultRun;
  /** One per fault, in the sweep's order (empty when the clean run failed). */
  results: FaultRun[];
  /** Per kind swept, the failing fault with the smallest position (the smallest failing case), or null. */
  earliest: Partial<Record<SweepKind, { name: string; spec: string; position: number; where: string } | null>>;
  ms: number;
  /** Set when `signal` stopped the sweep: `results` then holds only the runs that finished on their own. */
  interrupted?: boolean;
}

const OUTPUT_CAP = 64 * 1024;

/** Why a failed run failed: the failing test and its own assertion or error (see failure-line.ts), else how it ended. */
export function failureLine(run: Pick<FaultRun, 'output' | 'code' | 'signal' | 'timedOut' | 'ms'>, timeoutMs: number): string {
  if (run.timedOut) return `timed out after ${timeoutMs} ms (killed)`;
  return reasonIn(run.output) ?? (run.signal ? `killed by ${run.signal}` : `exit code ${run.code}`);
}

/** Keeps the first and the last OUTPUT_CAP characters of what a command prints: a runner says why it failed at the end. */
function outputKeeper(): { add(text: string): void; text(): string } {
  let head = '';
  let tail = '';
  let dropped = 0;
  return {
    add(text) {
      const room = OUTPUT_CAP - head.length;
      if (room > 0) {
        head += text.slice(0, room);
        text = text.slice(room);
      }
      tail += text;
      if (tail.length > 2 * OUTPUT_CAP) {
        dropped += tail.length - OUTPUT_CAP;
        tail = tail.slice(-OUTPUT_CAP);
      }
    },
    text() {
      const last = tail.length > OUTPUT_CAP ? tail.slice(-OUTPUT_CAP) : tail;
      const cut = dropped + tail.length - last.length;
      return stripAnsi(cut > 0 ? `${head}\n… (${cut} characters left out) …\n${last}` : head + last);
    },
  };
}

/** Whether the command's own environment picks the clock (then the sweep leaves it alone). */
const clockSetBy = (env: NodeJS.ProcessEnv): boolean => (env.TRACEFORGE_CLOCK ?? '') !== '';

export interface SweepEnvOptions {
  /** The swept cassette's identity (see cassetteIdentity). */
  cassette: string;
  /** Replay the swept cassette on the virtual clock (unless `base` sets TRACEFORGE_CLOCK). Default true. */
  virtual?: boolean;
  /** Also set the providers' base-URL variables (see SweepRunOptions.baseUrls). */
  baseUrls?: boolean;
  /** Where a session that opens the swept cassette says so. */
  seen?: string;
}

/**
 * The command's environment for one run: TRACEFORGE_SWEEP (the cassette, the fault, the clock), which
 * only a useCassette of the swept cassette takes; TRACEFORGE_REPLAY_URL; the providers' base URLs only
 * with `baseUrls`; and no colour, so that what it prints reads as text in a report.
 */
export function sweepEnv(url: string, fault: SweepFault | null, base: NodeJS.ProcessEnv, options: SweepEnvOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, NO_COLOR: '1', FORCE_COLOR: '0', TRACEFORGE_REPLAY_URL: url };
  // The clean run is clean: faults of the caller's own would reach every cassette in every run.
  delete env.TRACEFORGE_FAULTS;
  const sweep: SweepEnv = { cassette: options.cassette };
  if (fault) sweep.fault = fault.spec;
  if (options.virtual !== false && !clockSetBy(base)) sweep.clock = 'virtual';
  if (options.seen) sweep.seen = options.seen;
  env[SWEEP_ENV] = JSON.stringify(sweep);
  if (options.baseUrls) Object.assign(env, baseUrlEnv(url));
  return env;
}

/** Kill a command and everything in its process group (it was started as the leader of its own). */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    if (process.platform !== 'win32') process.kill(-pid, signal);
    else process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

interface Prepared {
  interactions: Parameters<typeof startReplayServer>[0]['cassette'];
  command: string;
  args: readonly string[];
  speed: number;
  cwd: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Replay the swept cassette on the virtual clock (unless env sets TRACEFORGE_CLOCK). */
  virtual: boolean;
  cassette: string;
  baseUrls: boolean;
  logDir: string | undefined;
  signal?: AbortSignal;
}

/** A run's log: what ran, how it ended, and everything it printed. */
async function writeLog(p: Prepared, n: number, run: FaultRun): Promise<string | undefined> {
  if (!p.logDir) return undefined;
  const file = join(p.logDir, `run-${n}.log`);
  const ended = run.timedOut ? 'timed out (killed)' : run.signal ? `killed by ${run.signal}` : `exit code ${run.code}`;
  const head = [
    `# traceforge sweep, run ${n}: ${run.fault ? `${run.fault.spec} (${run.fault.name})` : 'the clean run (no fault)'}`,
    `# command: ${shortText([p.command, ...p.args].join(' '), 400)}`,
    `# ${run.passed ? 'passed' : 'FAILED'}: ${ended}, ${(run.ms / 1000).toFixed(1)} s; ${run.served} call(s) served by the sweep's replay server, ${run.opened.length} useCassette session(s) of the swept cassette`,
    ...(run.passed ? [] : [`# why: ${run.firstLine}`]),
  ];
  // A log that cannot be written costs the report nothing: the run's line says so.
  try {
    await writeFileAtomic(file, `${head.join('\n')}\n\n${run.output}`);
    return file;
  } catch (e) {
    run.firstLine += ` (log not written: ${shortText(e instanceof Error ? e.message : String(e), 120)})`;
    return undefined;
  }
}

/** The clocks the sessions that opened the swept cassette told the sweep about. */
async function openedIn(dir: string): Promise<Array<'wall' | 'virtual'>> {
  const files = await readdir(dir).catch(() => [] as string[]);
  const clocks = await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8').then((t) => (JSON.parse(t) as { clock: 'wall' | 'virtual' }).clock, () => undefined)));
  return clocks.filter((c): c is 'wall' | 'virtual' => c !== undefined);
}

async function runOnce(p: Prepared, fault: SweepFault | null, timeoutMs: number, n: number): Promise<FaultRun> {
  const server = await startReplayServer({ cassette: p.interactions, speed: p.speed, faults: fault ? [fault] : [], port: 0, host: '127.0.0.1' });
  const seen = await mkdtemp(join(tmpdir(), 'traceforge-sweep-'));
  const started = performance.now();
  try {
    const result = await new Promise<Pick<FaultRun, 'code' | 'signal' | 'timedOut' | 'output'>>((resolve) => {
      const output = outputKeeper();
      const keep = (d: Buffer) => output.add(d.toString('utf8'));
      const env = sweepEnv(server.url, fault, p.env, { cassette: p.cassette, virtual: p.virtual, baseUrls: p.baseUrls, seen });
      // Its own process group, so a timeout ends the command and whatever it started, and nothing else.
      const child = spawn(p.command, [...p.args], { cwd: p.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid, 'SIGKILL');
      }, timeoutMs);
      const stop = () => killGroup(child.pid, 'SIGKILL');
      p.signal?.addEventListener('abort', stop, { once: true });
      child.once('close', () => p.signal?.removeEventListener('abort', stop));
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      child.on('error', (e) => {
        clearTimeout(timer);
        resolve({ code: null, signal: null, timedOut: false, output: `cannot run ${p.command}: ${e.message}` });
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, timedOut, output: output.text() });
      });
    });
    const ms = performance.now() - started;
    const passed = result.code === 0 && !result.timedOut;
    const run: FaultRun = { fault, passed, ...result, ms, firstLine: '', served: server.served.length, misses: server.misses.length, opened: await openedIn(seen) };
    if (!passed) run.firstLine = failureLine(run, timeoutMs);
    const log = await writeLog(p, n, run);
    if (log) run.log = log;
    return run;
  } finally {
    await rm(seen, { recursive: true, force: true });
    await server.close();
  }
}

/** `.ai-tests/sweeps/2026-12-08T01-02-03-456Z` under `cwd`: one directory per sweep, in the order they ran. */
export const sweepLogDir = (cwd: string, at = new Date()): string => join(cwd, '.ai-tests', 'sweeps', at.toISOString().replace(/[:.]/g, '-'));

/**
 * Run `command` without a fault (it must pass: otherwise the report has the clean run and no
 * results), then once per fault, up to `jobs` at a time, each with its own replay server.
 */
export async function runSweep(options: SweepRunOptions): Promise<SweepReport> {
  const started = performance.now();
  let target = loadSweepTarget(options.cassette, options);
  const jobs = Math.max(1, Math.floor(options.jobs ?? availableParallelism()));
  checkSweepPlan(target.faults.length + 1, jobs, options.yes);
  checkTimerMs(options.timeoutMs, 'timeoutMs');
  const env = options.env ?? process.env;
  const cwd = resolve(options.cwd ?? process.cwd());
  const prepared: Prepared = {
    interactions: target.interactions,
    command: options.command,
    args: options.args ?? [],
    speed: options.speed ?? 1,
    cwd: options.cwd,
    env,
    virtual: !clockSetBy(env),
    cassette: cassetteIdentity(options.cassette),
    baseUrls: options.baseUrls === true,
    logDir: options.logDir === false ? undefined : (options.logDir ?? sweepLogDir(cwd)),
    signal: options.signal,
  };
  const notes: string[] = [];
  const rt = runnerTimeout(prepared.command, prepared.args, cwd);
  const clock = (): SweepReport['clock'] => (clockSetBy(env) ? 'env' : prepared.virtual ? 'virtual' : 'wall');
  const base = () => ({
    cassette: options.cassette,
    clock: clock(),
    stallMs: options.stallMs ?? DEFAULT_STALL_MS,
    ...(rt ? { runnerTimeout: rt } : {}),
    ...(prepared.logDir ? { logDir: prepared.logDir } : {}),
    notes,
    interaction: target.interaction,
    provider: analyzeStream(target.trace).provider,
    chunks: target.trace.chunks?.length ?? 0,
  });
  const total = () => target.faults.length + 1;
  options.onStart?.(null, 1, 0, total());
  let baseline = await runOnce(prepared, null, options.timeoutMs ?? 10 * 60_000, 0);
  if (!baseline.passed && prepared.virtual && !baseline.timedOut && !options.signal?.aborted) {
    // A command that cannot run on the virtual clock (a useCassette with intercept: false, say) may pass
    // on the wall clock: sweep it there rather than report a failure the sweep itself caused.
    const onWall = await runOnce({ ...prepared, virtual: false }, null, options.timeoutMs ?? 10 * 60_000, 0);
    if (onWall.passed) {
      notes.push(`the clean run failed with ${options.cassette} on the virtual clock (${baseline.firstLine}) and passed on the wall clock: every run replays it on the wall clock`);
      prepared.virtual = false;
      baseline = onWall;
    }
  }
  options.onRun?.(baseline, 1, total());
  if (options.signal?.aborted) return { ...base(), baseline, results: [], earliest: {}, ms: performance.now() - started, interrupted: true };
  if (!baseline.passed) return { ...base(), baseline, results: [], earliest: {}, ms: performance.now() - started };
  if (baseline.opened.length === 0 && baseline.served === 0) {
    throw new TraceForgeError(
      'E_USAGE',
      `the clean run passed, but nothing in it opened ${shortText(options.cassette)} (${shortText(prepared.cassette)}) with useCassette or called the sweep's replay server, so every fault would reach nothing: ` +
        (prepared.baseUrls
          ? 'check that the command runs the app that reads OPENAI_BASE_URL (or ANTHROPIC_BASE_URL, OLLAMA_HOST, GOOGLE_GEMINI_BASE_URL, TRACEFORGE_REPLAY_URL)'
          : 'pass the cassette the tests give useCassette (the same file), or --base-urls for an app without useCassette that reads OPENAI_BASE_URL or another provider\'s base-URL variable'),
    );
  }
  // A stall costs wall time unless every call to the swept cassette was answered in-process on the virtual clock.
  const inProcess = baseline.served === 0 && baseline.opened.every((c) => c === 'virtual');
  // Notes about stalls only for a sweep that has some.
  const stalls = target.faults.some((f) => f.kind === 'stall');
  let stallMs: number;
  if (inProcess) {
    stallMs = options.stallMs ?? DEFAULT_VIRTUAL_STALL_MS;
    if (options.stallMs === undefined && stalls) {
      notes.push(`the clean run replayed ${options.cassette} in-process on the virtual clock (its useCassette answered every call): stalls last ${DEFAULT_VIRTUAL_STALL_MS} ms of virtual time, which costs no wall time (--stall-ms to change)`);
    }
  } else {
    const wall = wallStall(options.stallMs, rt);
    stallMs = wall.stallMs;
    if (wall.note && stalls) notes.push(wall.note);
  }
  if (stallMs !== (options.stallMs ?? DEFAULT_STALL_MS)) target = loadSweepTarget(options.cassette, { ...options, stallMs });
  const faults = target.faults;
  // A faulted run may take the clean run's time, plus a stall (on the wall clock, should a cassette in the
  // command be on it after all), plus slack for retries and a slow machine.
  const timeoutMs = options.timeoutMs ?? Math.round(Math.max(30_000, 4 * baseline.ms + stallMs + 10_000));
  const results: FaultRun[] = new Array(faults.length);
  let next = 0;
  let done = 1;
  let running = 0;
  const worker = async () => {
    while (next < faults.length && !options.signal?.aborted) {
      const i = next++;
      running++;
      options.onStart?.(faults[i]!, running, done, total());
      const r = await runOnce(prepared, faults[i]!, timeoutMs, i + 1);
      running--;
      // A run killed by the stop says nothing about the fault.
      if (options.signal?.aborted) return;
      results[i] = r;
      done++;
      options.onRun?.(r, done, total());
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, faults.length) }, worker));
  const interrupted = options.signal?.aborted === true;
  const finished = results.filter((r): r is FaultRun => r !== undefined);
  const earliest: SweepReport['earliest'] = {};
  for (const r of finished) {
    const f = r.fault!;
    const kind = f.kind as SweepKind;
    if (!(kind in earliest)) earliest[kind] = null;
    if (r.passed) continue;
    const seen = earliest[kind];
    if (!seen || f.position < seen.position) earliest[kind] = { name: f.name, spec: f.spec, position: f.position, where: f.where };
  }
  return { ...base(), stallMs, stallClock: inProcess ? 'virtual' : 'wall', baseline, results: finished, earliest, ms: performance.now() - started, ...(interrupted ? { interrupted } : {}) };
}

/** A path as the report shows it: relative to `cwd` when inside it. */
export const shownPath = (path: string, cwd = process.cwd()): string => {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') ? rel : path;
};
