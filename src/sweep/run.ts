/**
 * Run a command once without a fault, then once per fault of a sweep, each against its own replay
 * server, and collect what passed. No printing here: the CLI formats the report.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { TraceForgeError } from '../errors.js';
import { SWEEP_CONFIRM_RUNS } from './limits.js';
import { checkTimerMs } from '../util/real-timers.js';
import { startReplayServer } from '../replay/replay-server.js';
import { analyzeStream, DEFAULT_STALL_MS, DEFAULT_VIRTUAL_STALL_MS, type SweepFault, type SweepKind } from './points.js';
import { loadSweepTarget, type SweepOptions } from './index.js';
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
   * The environment the command gets, before the replay variables are added. Default process.env. Unless
   * it sets TRACEFORGE_CLOCK, the command gets TRACEFORGE_CLOCK=virtual: a `useCassette` in it replays on
   * the virtual clock, where a stall costs no wall time and no runner timeout is hit by the fault itself.
   */
  env?: NodeJS.ProcessEnv;
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
  /** stdout and stderr together, in arrival order (capped at 64 KiB). */
  output: string;
  /** The line that says why it failed (empty when it passed). */
  firstLine: string;
  /** Requests the replay server answered from the cassette, and ones it could not match. */
  served: number;
  misses: number;
}

export interface SweepReport {
  cassette: string;
  /**
   * `virtual` when the runs got TRACEFORGE_CLOCK=virtual from the sweep; `env` when the command's own
   * environment set TRACEFORGE_CLOCK; `wall` when the clean run failed on the virtual clock and passed
   * without it, so the sweep ran without it (see `notes`).
   */
  clock: 'virtual' | 'env' | 'wall';
  /** The stall faults' length, ms. */
  stallMs: number;
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
const ERROR_LINE = /(^|\b)(\w*Error|Exception)\b|error:|\bfailed\b|\bFAIL\b|✗|×/i;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** The most telling line of a failed run's output: the first that names an error, else the first line. */
export function failureLine(run: Pick<FaultRun, 'output' | 'code' | 'signal' | 'timedOut' | 'ms'>, timeoutMs: number): string {
  if (run.timedOut) return `timed out after ${timeoutMs} ms (killed)`;
  const lines = run.output.replace(ANSI, '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const line = lines.find((l) => ERROR_LINE.test(l) && !/^at\s/.test(l)) ?? lines[0];
  const exit = run.signal ? `killed by ${run.signal}` : `exit code ${run.code}`;
  return line ? (line.length > 200 ? `${line.slice(0, 199)}…` : line) : exit;
}

/** Whether the command's own environment picks the clock (then the sweep leaves it alone). */
const clockSetBy = (env: NodeJS.ProcessEnv): boolean => (env.TRACEFORGE_CLOCK ?? '') !== '';

/**
 * The variables that point an unmodified app (or a `useCassette` inside it) at a replay and a fault,
 * and, with `virtual` (the default) and no TRACEFORGE_CLOCK of the caller's, TRACEFORGE_CLOCK=virtual.
 */
export function sweepEnv(url: string, fault: SweepFault | null, base: NodeJS.ProcessEnv = process.env, virtual = true): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  delete env.TRACEFORGE_FAULTS;
  if (virtual && !clockSetBy(base)) env.TRACEFORGE_CLOCK = 'virtual';
  Object.assign(env, baseUrlEnv(url));
  env.TRACEFORGE_REPLAY_URL = url;
  if (fault) env.TRACEFORGE_FAULTS = fault.spec;
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
  /** Pass TRACEFORGE_CLOCK=virtual (unless env sets TRACEFORGE_CLOCK). */
  virtual: boolean;
  signal?: AbortSignal;
}

async function runOnce(p: Prepared, fault: SweepFault | null, timeoutMs: number): Promise<FaultRun> {
  const server = await startReplayServer({ cassette: p.interactions, speed: p.speed, faults: fault ? [fault] : [], port: 0, host: '127.0.0.1' });
  const started = performance.now();
  try {
    const result = await new Promise<Omit<FaultRun, 'fault' | 'passed' | 'firstLine' | 'served' | 'misses' | 'ms'>>((resolve) => {
      let output = '';
      const keep = (d: Buffer) => {
        if (output.length < OUTPUT_CAP) output += d.toString('utf8');
      };
      // Its own process group, so a timeout ends the command and whatever it started, and nothing else.
      const child = spawn(p.command, [...p.args], { cwd: p.cwd, env: sweepEnv(server.url, fault, p.env, p.virtual), stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
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
        resolve({ code, signal, timedOut, output });
      });
    });
    const ms = performance.now() - started;
    const passed = result.code === 0 && !result.timedOut;
    const run: FaultRun = { fault, passed, ...result, ms, firstLine: '', served: server.served.length, misses: server.misses.length };
    if (!passed) run.firstLine = failureLine(run, timeoutMs);
    return run;
  } finally {
    await server.close();
  }
}

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
  const prepared: Prepared = {
    interactions: target.interactions,
    command: options.command,
    args: options.args ?? [],
    speed: options.speed ?? 1,
    cwd: options.cwd,
    env,
    virtual: !clockSetBy(env),
    signal: options.signal,
  };
  const notes: string[] = [];
  const clock = (): SweepReport['clock'] => (clockSetBy(env) ? 'env' : prepared.virtual ? 'virtual' : 'wall');
  const base = () => ({
    cassette: options.cassette,
    clock: clock(),
    stallMs: options.stallMs ?? DEFAULT_STALL_MS,
    notes,
    interaction: target.interaction,
    provider: analyzeStream(target.trace).provider,
    chunks: target.trace.chunks?.length ?? 0,
  });
  const total = () => target.faults.length + 1;
  options.onStart?.(null, 1, 0, total());
  let baseline = await runOnce(prepared, null, options.timeoutMs ?? 10 * 60_000);
  if (!baseline.passed && prepared.virtual && !baseline.timedOut && !options.signal?.aborted) {
    // A command that cannot run on the virtual clock (a useCassette with intercept: false, say) may pass
    // on the wall clock: sweep it there rather than report a failure the sweep itself caused.
    const onWall = await runOnce({ ...prepared, virtual: false }, null, options.timeoutMs ?? 10 * 60_000);
    if (onWall.passed) {
      notes.push(`the clean run failed with TRACEFORGE_CLOCK=virtual (${baseline.firstLine}) and passed without it: every run goes without it, on the wall clock`);
      prepared.virtual = false;
      baseline = onWall;
    }
  }
  options.onRun?.(baseline, 1, total());
  if (options.signal?.aborted) return { ...base(), baseline, results: [], earliest: {}, ms: performance.now() - started, interrupted: true };
  if (!baseline.passed) return { ...base(), baseline, results: [], earliest: {}, ms: performance.now() - started };
  // A stall costs wall time only where the sweep's own replay server answered: a command whose calls
  // it did not see replayed them itself (its useCassette), on the virtual clock when that is on.
  // A cassette with intercept: false stays on the wall clock under TRACEFORGE_CLOCK=virtual, and says so.
  const inProcess =
    baseline.served === 0 && (clock() === 'virtual' || env.TRACEFORGE_CLOCK === 'virtual') && !/TRACEFORGE_CLOCK=virtual does not apply/.test(baseline.output);
  const stallMs = options.stallMs ?? (inProcess ? DEFAULT_VIRTUAL_STALL_MS : DEFAULT_STALL_MS);
  if (options.stallMs === undefined && inProcess) {
    target = loadSweepTarget(options.cassette, { ...options, stallMs });
    notes.push(`the clean run replayed its calls in-process on the virtual clock (the sweep's replay server served none): stalls last ${DEFAULT_VIRTUAL_STALL_MS} ms of virtual time, which costs no wall time (--stall-ms to change)`);
  }
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
      const r = await runOnce(prepared, faults[i]!, timeoutMs);
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
  return { ...base(), stallMs, baseline, results: finished, earliest, ms: performance.now() - started, ...(interrupted ? { interrupted } : {}) };
}
