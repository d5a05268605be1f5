import { availableParallelism } from 'node:os';
import { err, out as pc } from '../color.js';
import { TraceForgeError } from '../../errors.js';
import { DEFAULT_BUDGET, DEFAULT_STALL_MS, parseKinds, type SweepFault, type SweepKind } from '../../sweep/points.js';
import { runSweep, type FaultRun, type SweepReport } from '../../sweep/run.js';
import type { CommandContext } from '../main.js';
import { parseNumber, parseWhole } from '../options.js';
import { visible } from '../../util/visible.js';
import { EXIT_FAIL, EXIT_OK } from '../errors.js';

/** `drop-after=3` for the first request (the usual case), `drop-after=3@2` otherwise. */
const shortSpec = (f: SweepFault): string => (f.request === 1 ? f.spec.replace(/@1$/, '') : f.spec);
const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function runJson(r: FaultRun) {
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
  };
}

export function reportJson(report: SweepReport) {
  const failed = report.results.filter((r) => !r.passed).length;
  return {
    cassette: report.cassette,
    interaction: report.interaction,
    provider: report.provider,
    chunks: report.chunks,
    baseline: runJson(report.baseline),
    results: report.results.map(runJson),
    earliest: report.earliest,
    passed: report.results.length - failed,
    failed,
    ms: Math.round(report.ms),
  };
}

export function reportTable(report: SweepReport, jobs: number): string {
  const rows = report.results.map((r) => {
    const f = r.fault!;
    return [shortSpec(f), clip(f.where, 70), r.passed ? 'pass' : 'FAIL', r.passed ? '' : clip(visible(r.firstLine, ''), 120)] as const;
  });
  const w0 = Math.max(5, ...rows.map((r) => r[0].length));
  const w1 = Math.max(5, ...rows.map((r) => r[1].length));
  const lines = [pc.bold(`${'fault'.padEnd(w0)}  ${'where'.padEnd(w1)}  result  first line of the failure`)];
  for (const [fault, where, result, first] of rows) {
    const shown = result === 'pass' ? pc.green('pass  ') : pc.red('FAIL  ');
    lines.push(`${fault.padEnd(w0)}  ${where.padEnd(w1)}  ${shown}  ${first}`.trimEnd());
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
  lines.push(
    `${failed === 0 ? pc.green(`all ${report.results.length} faults passed`) : pc.red(`${failed} of ${report.results.length} faults failed`)}` +
      ` (${report.provider} stream of ${report.chunks} chunks, interaction ${report.interaction} of ${report.cassette}; ${secs(report.ms)} with ${jobs} job(s))`,
  );
  return `${lines.join('\n')}\n`;
}

export async function run({ args, opts, rest }: CommandContext): Promise<number> {
  const cassette = args[0]!;
  if (rest.length === 0) {
    const hadDash = process.argv.includes('--');
    throw new TraceForgeError(
      'E_USAGE',
      hadDash
        ? 'no command after `--`: write the command that tests your app, e.g. `traceforge sweep fixtures/chat.yaml -- node app.js`'
        : 'the command to sweep goes after `--`, e.g. `traceforge sweep fixtures/chat.yaml -- npx vitest run test/chat.test.ts`',
    );
  }
  const kinds = opts.kinds === undefined ? undefined : opts.kinds === true ? parseKinds('') : parseKinds(String(opts.kinds));
  const budget = parseWhole(opts.budget, '--budget', 1) ?? DEFAULT_BUDGET;
  const jobs = parseWhole(opts.jobs, '--jobs', 1) ?? availableParallelism();
  const speed = parseNumber(opts.speed, '--speed', 1);
  const stallMs = parseWhole(opts['stall-ms'], '--stall-ms', 0) ?? DEFAULT_STALL_MS;
  const interaction = parseWhole(opts.interaction, '--interaction', 1);
  const request = parseWhole(opts.request, '--request', 1);
  const timeoutMs = parseWhole(opts.timeout, '--timeout', 1);
  const json = opts.json === true;
  const tty = process.stderr.isTTY === true;
  let failed = 0;
  let lastStarted = '';
  const progress = (done: number, total: number, running: number) => {
    if (!tty) return;
    const line = `sweep ${done}/${total} done, ${running} running, ${failed} failed${lastStarted ? `: ${lastStarted}` : ''}`;
    process.stderr.write(`\r\u001b[2K${clip(line, (process.stderr.columns || 100) - 1)}`);
  };
  let running = 0;
  // Ctrl-C (or a SIGTERM from CI) kills every running command and what it started: they run in
  // process groups of their own, which a terminal's Ctrl-C does not reach.
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const report = await runSweep({
    signal: stop.signal,
    cassette,
    command: rest[0]!,
    args: rest.slice(1),
    kinds,
    budget,
    jobs,
    speed,
    stallMs,
    interaction,
    request,
    timeoutMs,
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
        process.stderr.write(`[${done}/${total}] ${r.passed ? 'pass' : 'FAIL'} ${visible(name, '')} (${secs(r.ms)})${r.passed ? '' : `: ${visible(r.firstLine, '')}`}\n`);
      }
    },
  }).finally(() => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  });
  if (tty) process.stderr.write('\r\u001b[2K');
  if (report.interrupted) {
    process.stderr.write(`${err.yellow('traceforge:')} sweep interrupted: ${report.results.length} fault run(s) had finished; the commands still running were killed\n`);
    if (json) process.stdout.write(`${JSON.stringify({ ...reportJson(report), interrupted: true }, null, 2)}\n`);
    else if (report.results.length > 0) process.stdout.write(reportTable(report, jobs));
    return 130;
  }
  if (!report.baseline.passed) {
    const b = report.baseline;
    process.stderr.write(
      `${err.red('traceforge:')} the command fails without any fault (${b.timedOut ? 'timed out' : b.signal ? `killed by ${b.signal}` : `exit code ${b.code}`}), so a sweep would say nothing: make it pass against \`traceforge replay ${cassette}\` first\n` +
        `  ${visible(b.firstLine, '')}\n` +
        (b.output.trim() ? `--- its output ---\n${visible(b.output.trimEnd().split('\n').slice(-20).join('\n'), '\n')}\n` : ''),
    );
    if (json) process.stdout.write(`${JSON.stringify(reportJson(report), null, 2)}\n`);
    return EXIT_FAIL;
  }
  if (json) process.stdout.write(`${JSON.stringify(reportJson(report), null, 2)}\n`);
  else process.stdout.write(reportTable(report, jobs));
  return report.results.every((r) => r.passed) ? EXIT_OK : EXIT_FAIL;
}
