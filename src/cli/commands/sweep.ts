import { availableParallelism } from 'node:os';
import { colorsFor } from '../color.js';
import { TraceForgeError } from '../../errors.js';
import { DEFAULT_BUDGET, parseKinds, type SweepFault, type SweepKind } from '../../sweep/points.js';
import { runSweep, shownPath, type FaultRun, type SweepReport } from '../../sweep/run.js';
import type { CommandContext } from '../command.js';
import type { SweepOptions } from '../command-table.js';
import { safeJson, visible } from '../../util/visible.js';
import { EXIT_FAIL, EXIT_OK } from '../errors.js';

type Colors = ReturnType<typeof colorsFor>;

/** `drop-after=3` for the first request (the usual case), `drop-after=3@2` otherwise. */
const shortSpec = (f: SweepFault): string => (f.request === 1 ? f.spec.replace(/@1$/, '') : f.spec);
const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function runJson(r: FaultRun, output: boolean) {
  const f = r.fault;
  return {
    ...(f ? { fault: f.spec, name: f.name, kind: f.kind, position: f.position, where: f.where } : {}),
    passed: r.passed,
    code: r.code,
    signal: r.signal,
    timedOut: r.timedOut,
    ms: Math.round(r.ms),
    firstLine: r.firstLine,
    served: r.served,
    misses: r.misses,
    opened: r.opened.length,
    ...(r.log ? { log: r.log } : {}),
    ...(output && !r.passed ? { output: r.output } : {}),
  };
}

export function reportJson(report: SweepReport, output = false) {
  const failed = report.results.filter((r) => !r.passed).length;
  return {
    cassette: report.cassette,
    clock: report.clock,
    stallMs: report.stallMs,
    stallClock: report.stallClock ?? null,
    runnerTimeout: report.runnerTimeout ?? null,
    logDir: report.logDir ?? null,
    notes: report.notes,
    interaction: report.interaction,
    provider: report.provider,
    chunks: report.chunks,
    baseline: runJson(report.baseline, output),
    results: report.results.map((r) => runJson(r, output)),
    earliest: report.earliest,
    passed: report.results.length - failed,
    failed,
    ms: Math.round(report.ms),
  };
}

/** How long the stalls were, on which clock, and the runner timeout they had to stay under. */
function stallLine(report: SweepReport): string {
  if (report.stallClock === 'virtual') return `stalls: ${report.stallMs} ms of virtual time (no wall time, no runner timeout)`;
  const t = report.runnerTimeout;
  const limit = t ? (t.ms === undefined ? `; ${t.runner} has no test timeout` : `; ${t.runner}'s test timeout: ${t.ms} ms (${t.from})`) : '';
  return `stalls: ${report.stallMs} ms on the wall clock${limit}`;
}

/** Each failed run's output, under a line naming the run, its fault and its log. */
export function failedOutputs(report: SweepReport, pc: Colors): string {
  return report.results
    .map((r, i) => (r.passed ? '' : `${pc.bold(`--- run ${i + 1}: ${visible(r.fault!.name, '')}${r.log ? ` (${shownPath(r.log)})` : ''} ---`)}\n${visible(r.output.trimEnd())}\n\n`))
    .join('');
}

export function reportTable(report: SweepReport, jobs: number, pc: Colors): string {
  const rows = report.results.map((r, i) => {
    const f = r.fault!;
    return [String(i + 1), shortSpec(f), clip(f.where, 70), r.passed ? 'pass' : 'FAIL', r.passed ? '' : clip(visible(r.firstLine, ''), 160)] as const;
  });
  const wn = Math.max(3, ...rows.map((r) => r[0].length));
  const w0 = Math.max(5, ...rows.map((r) => r[1].length));
  const w1 = Math.max(5, ...rows.map((r) => r[2].length));
  const lines = [pc.bold(`${'run'.padStart(wn)}  ${'fault'.padEnd(w0)}  ${'where'.padEnd(w1)}  result  why it failed (the test and its error)`)];
  for (const [n, fault, where, result, first] of rows) {
    const shown = result === 'pass' ? pc.green('pass  ') : pc.red('FAIL  ');
    lines.push(`${n.padStart(wn)}  ${fault.padEnd(w0)}  ${where.padEnd(w1)}  ${shown}  ${first}`.trimEnd());
  }
  lines.push('');
  lines.push(pc.bold('smallest failing case per kind:'));
  const kinds = Object.keys(report.earliest) as SweepKind[];
  const wk = Math.max(...kinds.map((k) => k.length));
  for (const k of kinds) {
    const e = report.earliest[k];
    lines.push(`  ${k.padEnd(wk)}  ${e ? `${e.name}` : pc.green('none failed')}`);
  }
  const failed = report.results.filter((r) => !r.passed).length;
  lines.push('');
  if ('stall' in report.earliest) lines.push(stallLine(report));
  if (report.logDir) lines.push(`each run's output: ${shownPath(report.logDir)}/run-N.log (N as in the first column; run-0.log is the clean run)`);
  lines.push(
    `${failed === 0 ? pc.green(`all ${report.results.length} faults passed`) : pc.red(`${failed} of ${report.results.length} faults failed`)}` +
      ` (${report.provider} stream of ${report.chunks} chunks, interaction ${report.interaction} of ${report.cassette}; ${secs(report.ms)} with ${jobs} job(s))`,
  );
  return `${lines.join('\n')}\n`;
}

/** `traceforge sweep CASSETTE -- cmd`: progress on stderr, the table (or JSON) on stdout; exit 1 if any fault run fails. */
export async function run({ args, opts, rest, io }: CommandContext<SweepOptions>): Promise<number> {
  const cassette = args[0]!;
  // An empty `--` never gets here: main refuses it for every command.
  if (rest.length === 0) {
    throw new TraceForgeError('E_USAGE', 'the command to sweep goes after `--`, e.g. `traceforge sweep fixtures/chat.yaml -- npx vitest run test/chat.test.ts`');
  }
  const kinds = opts.kinds === undefined ? undefined : parseKinds(opts.kinds);
  const budget = opts.budget ?? DEFAULT_BUDGET;
  const jobs = opts.jobs ?? availableParallelism();
  const { speed, interaction, request, json, yes } = opts;
  const showOutput = opts['show-output'] === true;
  // Unset: the runner picks it after the clean run (long on the virtual clock, where it costs no wall time).
  const stallMs = opts['stall-ms'];
  const timeoutMs = opts.timeout;
  const pc = colorsFor(io.stdout, io.env);
  const err = colorsFor(io.stderr, io.env);
  const tty = io.stderr.isTTY === true;
  let failed = 0;
  let lastStarted = '';
  const progress = (done: number, total: number, running: number) => {
    if (!tty) return;
    const line = `sweep ${done}/${total} done, ${running} running, ${failed} failed${lastStarted ? `: ${lastStarted}` : ''}`;
    io.stderr.write(`\r\u001b[2K${clip(line, (io.stderr.columns || 100) - 1)}`);
  };
  let running = 0;
  // Ctrl-C (or a SIGTERM from CI) kills every running command and what it started: they run in
  // process groups of their own, which a terminal's Ctrl-C does not reach.
  const stop = new AbortController();
  // Once: a second Ctrl-C while they are being killed ends traceforge as it would without a handler.
  const stopListening = io.onInterrupt(() => {
    stopListening();
    stop.abort();
  });
  const report = await runSweep({
    signal: stop.signal,
    cassette,
    command: rest[0]!,
    args: rest.slice(1),
    env: io.env,
    kinds,
    budget,
    jobs,
    speed,
    stallMs,
    interaction,
    request,
    timeoutMs,
    yes,
    baseUrls: opts['base-urls'] === true,
    onStart: (fault, now, done, total) => {
      running = now;
      lastStarted = fault ? shortSpec(fault) : 'clean run (no fault)';
      progress(done, total, running);
    },
    onRun: (r, done, total) => {
      running = Math.max(0, running - 1);
      if (!r.passed && r.fault) failed++;
      if (tty) progress(done, total, running);
      else {
        const name = r.fault ? r.fault.name : 'clean run (no fault)';
        io.stderr.write(`[${done}/${total}] ${r.passed ? 'pass' : 'FAIL'} ${visible(name, '')} (${secs(r.ms)})${r.passed ? '' : `: ${visible(r.firstLine, '')}`}\n`);
      }
    },
  }).finally(stopListening);
  if (tty) io.stderr.write('\r\u001b[2K');
  for (const note of report.notes) io.stderr.write(`${err.dim('traceforge:')} ${note}\n`);
  if (report.interrupted) {
    io.stderr.write(`${err.yellow('traceforge:')} sweep interrupted: ${report.results.length} fault run(s) had finished; the commands still running were killed\n`);
    if (json) io.stdout.write(`${safeJson({ ...reportJson(report, showOutput), interrupted: true }, 2)}\n`);
    else if (report.results.length > 0) io.stdout.write((showOutput ? failedOutputs(report, pc) : '') + reportTable(report, jobs, pc));
    return 130;
  }
  if (!report.baseline.passed) {
    const b = report.baseline;
    io.stderr.write(
      `${err.red('traceforge:')} the command fails without any fault (${b.timedOut ? 'timed out' : b.signal ? `killed by ${b.signal}` : `exit code ${b.code}`}), so a sweep would say nothing: make it pass on its own first${opts['base-urls'] ? ` (against \`traceforge replay ${cassette}\`)` : ''}\n` +
        `  ${visible(b.firstLine, '')}\n` +
        (b.output.trim() ? `--- its output${showOutput ? '' : ', last 20 lines'}${b.log ? ` (all of it: ${shownPath(b.log)})` : ''} ---\n${visible(showOutput ? b.output.trimEnd() : b.output.trimEnd().split('\n').slice(-20).join('\n'), '\n')}\n` : ''),
    );
    if (json) io.stdout.write(`${safeJson(reportJson(report, showOutput), 2)}\n`);
    return EXIT_FAIL;
  }
  if (json) io.stdout.write(`${safeJson(reportJson(report, showOutput), 2)}\n`);
  else io.stdout.write((showOutput ? failedOutputs(report, pc) : '') + reportTable(report, jobs, pc));
  return report.results.every((r) => r.passed) ? EXIT_OK : EXIT_FAIL;
}
