import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyCassette } from '../cassette/codec.js';
import { startRecorder } from '../record/recorder.js';
import { writeCassette } from '../store/cassette-file.js';
import { createTraceStore } from '../store/trace-store.js';
import type { Trace } from '../trace/types.js';
import type { BenchOptions } from './options.js';
import { table } from './stats.js';
import { startWorld } from './world.js';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const BIN = join(REPO, 'dist/cli/bin.js');
const VITEST = join(REPO, 'node_modules/vitest/vitest.mjs');
const CHUNKS = 24;
const COPIES = 20;

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

interface Ran {
  code: number | null;
  stdout: string;
  output: string;
  ms: number;
}

/** A child with a clean environment (no colour, nothing of a parent vitest or a TraceForge setting). */
function exec(args: string[], cwd: string, extra: Record<string, string> = {}): Promise<Ran> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(VITEST|TRACEFORGE_|FORCE_COLOR|NODE_OPTIONS)/.test(k)) env[k] = v;
  const t0 = performance.now();
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...env, NO_COLOR: '1', ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (d) => ((stdout += d), (output += d)));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', fail);
    child.on('close', (code) => ok({ code, stdout, output, ms: performance.now() - t0 }));
  });
}

/**
 * A user's project: its own package.json, and this build installed as node_modules/traceforge (a copy of
 * dist, templates and package.json; its dependencies, openai and vitest resolve from the repo's
 * node_modules further up). Without its own package.json, a project under the repo resolves `traceforge`
 * to the repo itself (a package's self-reference), outside node_modules, and vitest then transforms every
 * file of dist in each run: about 1 s more per vitest start than an installed traceforge costs.
 */
async function userProject(project: string): Promise<void> {
  await writeFile(join(project, 'package.json'), `${JSON.stringify({ name: 'bench-app', private: true, type: 'module' }, null, 2)}\n`);
  await writeFile(join(project, 'vitest.config.mjs'), "export default { test: { include: ['test/**/*.test.ts'] } };\n");
  const installed = join(project, 'node_modules', 'traceforge');
  await mkdir(installed, { recursive: true });
  await cp(join(REPO, 'package.json'), join(installed, 'package.json'));
  await cp(join(REPO, 'templates'), join(installed, 'templates'), { recursive: true });
  await cp(join(REPO, 'dist'), join(installed, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.map') });
}

function burn(n: number): ChildProcess[] {
  return Array.from({ length: n }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
}

/** Kill the burners and wait until they are reaped (so their CPU time is not counted in a later window). */
async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map((c) => {
      const gone = c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      return gone;
    }),
  );
}

/**
 * CPU seconds of this process's reaped descendants (utime + stime of children it waited for, which include
 * theirs), from /proc/self/stat; null off Linux.
 */
async function childrenCpu(): Promise<number | null> {
  try {
    const stat = await readFile('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of stat (cutime, cstime), counted from 3 after the command name; clock ticks of 1/100 s.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return null;
  }
}

/** Record one call of the bench upstream's 24-chunk stream through the real recorder, with the openai SDK as the app. */
async function record(upstream: string, traces: string): Promise<Trace> {
  const seen: Trace[] = [];
  const rec = await startRecorder({ upstream, onTrace: (t) => void seen.push(t) });
  try {
    const { default: OpenAI } = await import('openai');
    const openai = new OpenAI({ baseURL: `${rec.url}/v1`, apiKey: 'sk-bench', maxRetries: 0 });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Count slowly.' }] });
    for await (const _ of stream) void _;
    await rec.flush();
  } finally {
    await rec.close();
  }
  const trace = seen.find((t) => t.http.url === '/v1/chat/completions');
  if (!trace) throw new Error('bench gen-sweep: the recorder wrote no trace');
  if (trace.chunks?.length !== CHUNKS) throw new Error(`bench gen-sweep: recorded ${trace.chunks?.length} chunks, expected ${CHUNKS}`);
  await createTraceStore(traces).save(trace);
  return trace;
}

interface Passes {
  passed: number;
  failed: number;
  /** The first failure message's first line, and how many failures share it. */
  first: string;
  /** The first failure's first line. */
  sample: string;
  ms: number;
}

/**
 * `traceforge gen ID --timing recorded [--clock wall]`, then the test it wrote, COPIES times: COPIES copies of
 * the file in one `vitest run` (vitest's defaults: each file isolated in its own worker process, as many workers
 * at once as it picks for the machine), with `busy` CPU-bound processes running.
 */
async function genRuns(project: string, id: string, clock: 'virtual' | 'wall', busy: number): Promise<Passes> {
  const name = `gen-${clock}`;
  const args = ['gen', id, '--timing', 'recorded', '--out', `test/${name}.test.ts`, '--cassette', `fixtures/${name}.yaml`, ...(clock === 'wall' ? ['--clock', 'wall'] : [])];
  const g = await exec([BIN, ...args], project);
  if (g.code !== 0) throw new Error(`bench gen-sweep: traceforge ${args.join(' ')} failed:\n${g.output}`);
  const src = await readFile(join(project, 'test', `${name}.test.ts`), 'utf8');
  const marker = clock === 'virtual' ? "clock: 'virtual'" : 'speed: 1';
  if (!src.includes(marker)) throw new Error(`bench gen-sweep: the ${clock} test has no ${marker}`);
  const dir = join(project, 'test', name);
  await mkdir(dir, { recursive: true });
  // Copies one level down keep the cassette path the file resolves (`../fixtures/...`) one level up: fix it.
  const copy = src.replace(`'../fixtures/${name}.yaml'`, `'../../fixtures/${name}.yaml'`);
  if (copy === src) throw new Error('bench gen-sweep: the generated test does not name its cassette as expected');
  for (let i = 0; i < COPIES; i++) await writeFile(join(dir, `copy-${String(i + 1).padStart(2, '0')}.test.ts`), copy);
  const out = join(project, `report-${name}.json`);
  const burners = burn(busy);
  let r: Ran;
  try {
    r = await exec([VITEST, 'run', `test/${name}/`, '--reporter=json', `--outputFile=${out}`], project);
  } finally {
    await stopAll(burners);
  }
  const report = JSON.parse(await readFile(out, 'utf8').catch(() => '{}')) as {
    numPassedTests?: number;
    numFailedTests?: number;
    testResults?: Array<{ assertionResults: Array<{ failureMessages: string[] }>; message?: string }>;
  };
  const failures = (report.testResults ?? []).flatMap((f) => [...f.assertionResults.flatMap((a) => a.failureMessages), ...(f.message ? [f.message] : [])]);
  // Failures by what they assert, e.g. `time to first chunk (ms) x3`, and how many carry the busy-machine note.
  const byLabel = new Map<string, number>();
  for (const m of failures) {
    const label = /AssertionError: ([^:(]+?)\s*(\(ms\))?\s*[:(]/.exec(m)?.[1] ?? m.split('\n')[0]!.slice(0, 60);
    byLabel.set(label, (byLabel.get(label) ?? 0) + 1);
  }
  const busyNote = failures.filter((m) => m.includes('the machine was too busy')).length;
  const summary = [...byLabel].map(([l, n]) => `${l} x${n}`).join(', ');
  const first =
    failures.length > 0
      ? `${summary}; ${busyNote} of ${failures.length} say the machine was too busy`
      : r.code === 0
        ? ''
        : clip(r.output.trim().split('\n').slice(-3).join(' / '), 150);
  return {
    passed: report.numPassedTests ?? 0,
    failed: report.numFailedTests ?? COPIES,
    first,
    sample: failures[0] ? clip(failures[0].split('\n')[0]!, 400) : '',
    ms: r.ms,
  };
}

/** The app and test a sweep runs: the openai SDK streaming the answer, through a plain useCassette. */
const ASK = `
import OpenAI from 'openai';
export async function ask(baseURL: string): Promise<string> {
  const openai = new OpenAI({ baseURL: \`\${baseURL}/v1\`, apiKey: 'test', maxRetries: 0 });
  const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Count slowly.' }] });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}
`;
const TEST = (text: string) => `
import { expect, it } from 'vitest';
import { useCassette } from 'traceforge/vitest';
import { ask } from './ask.js';

const cassette = useCassette('fixtures/chat.yaml', { mode: 'none' });
it('answers', async () => {
  expect(await ask(cassette.url)).toBe(${JSON.stringify(text)});
});
`;

interface SweepJson {
  clock: string;
  stallMs: number;
  baseline: { passed: boolean; ms: number };
  results: Array<{ kind: string; passed: boolean; timedOut: boolean; ms: number; firstLine: string }>;
  ms: number;
}

const KINDS = 'drop-after,truncate-json,stall';

async function sweep(project: string, extra: string[], env: Record<string, string>): Promise<{ wall: number; cpu: number | null; report: SweepJson }> {
  const cpu0 = await childrenCpu();
  const r = await exec([BIN, 'sweep', 'fixtures/chat.yaml', '--json', '--kinds', KINDS, ...extra, '--', process.execPath, VITEST, 'run', 'test/sweep.test.ts'], project, env);
  let report: SweepJson;
  try {
    report = JSON.parse(r.stdout) as SweepJson;
  } catch {
    throw new Error(`bench gen-sweep: the sweep printed no report (exit ${r.code}):\n${r.output.slice(-2000)}`);
  }
  if (!report.baseline.passed) throw new Error(`bench gen-sweep: the sweep's clean run failed:\n${r.output.slice(-2000)}`);
  const cpu1 = await childrenCpu();
  return { wall: r.ms, cpu: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0, report };
}

function sweepRow(label: string, s: { wall: number; cpu: number | null; report: SweepJson }): Array<string | number> {
  const res = s.report.results;
  const kinds = KINDS.split(',').map((k) => {
    const of = res.filter((x) => x.kind === k);
    return `${k} ${of.filter((x) => x.passed).length}/${of.length}`;
  });
  // Killed by the sweep's own timeout (a runner's test timeout is a failure line, shown below the table).
  const timedOut = res.filter((x) => x.timedOut).length;
  const perRun = res.map((x) => x.ms).sort((a, b) => a - b);
  return [
    label,
    res.length + 1,
    kinds.join(', '),
    timedOut,
    s.report.stallMs,
    (perRun[Math.floor(perRun.length / 2)]! / 1000).toFixed(1),
    s.cpu === null ? '-' : s.cpu.toFixed(0),
    s.cpu === null ? '-' : (s.cpu / (res.length + 1)).toFixed(2),
    (s.wall / 1000).toFixed(1),
  ];
}

/**
 * Issue 20, the last two numbers: the test `gen --timing recorded` writes passes 20 of 20 with 4 CPU-bound
 * processes running (against `--clock wall`'s test under the same load), and a sweep of drop-after,
 * truncate-json and stall over a 24-chunk stream with a vitest test (against the same sweep with
 * TRACEFORGE_CLOCK=wall). The stream is the bench upstream's jittered one, recorded through the real
 * recorder with the openai SDK; the tests run in a temp project under .tmp/ that imports this build.
 */
export async function benchGenSweep(o: BenchOptions): Promise<string> {
  await mkdir(join(REPO, '.tmp'), { recursive: true });
  const project = await mkdtemp(join(REPO, '.tmp', 'bench-gen-sweep-'));
  const world = startWorld();
  try {
    await userProject(project);
    const upstream = await world.upstream(CHUNKS);
    const trace = await record(upstream, join(project, '.ai-tests', 'traces'));
    let recordedMs = trace.first_chunk_latency_ms ?? 0;
    for (const c of trace.chunks!.slice(1)) recordedMs += c.delta_ms;

    // 1. gen --timing recorded, virtual (the default) and wall, each COPIES times under 4 CPU-bound processes.
    const busy = 4;
    const load0 = loadavg()[0]!;
    const virtual = await genRuns(project, trace.id, 'virtual', busy);
    const wall = await genRuns(project, trace.id, 'wall', busy);
    const genSample = wall.sample || virtual.sample;
    const genRows = [
      ['virtual (default)', `${virtual.passed} of ${COPIES}`, (virtual.ms / 1000).toFixed(1), virtual.first || '-'],
      ['--clock wall', `${wall.passed} of ${COPIES}`, (wall.ms / 1000).toFixed(1), wall.first || '-'],
    ];

    // 2. The sweep, on the virtual clock (the sweep's default) and with TRACEFORGE_CLOCK=wall.
    await mkdir(join(project, 'fixtures'), { recursive: true });
    await writeCassette(join(project, 'fixtures', 'chat.yaml'), { ...emptyCassette(), interactions: [trace] });
    let text = '';
    for (const c of trace.chunks!) {
      const m = /"content":"((?:[^"\\]|\\.)*)"/.exec(c.raw ?? '');
      if (m) text += JSON.parse(`"${m[1]}"`) as string;
    }
    await writeFile(join(project, 'test', 'ask.ts'), ASK);
    await writeFile(join(project, 'test', 'sweep.test.ts'), TEST(text));
    const load1 = loadavg()[0]!;
    const runs: Array<[string, string[], Record<string, string>]> = [
      ['virtual, defaults', [], {}],
      ['wall (TRACEFORGE_CLOCK=wall), defaults', [], { TRACEFORGE_CLOCK: 'wall' }],
    ];
    if (!o.quick) runs.push(['virtual, --budget 4', ['--budget', '4'], {}], ['wall, --budget 4', ['--budget', '4'], { TRACEFORGE_CLOCK: 'wall' }]);
    const sweepRows: Array<Array<string | number>> = [];
    const sweeps: Record<string, { wall: number; cpu: number | null }> = {};
    const stallNotes: string[] = [];
    for (const [label, extra, env] of runs) {
      const s = await sweep(project, extra, env);
      sweeps[label] = s;
      sweepRows.push(sweepRow(label, s));
      const stall = s.report.results.find((x) => x.kind === 'stall' && !x.passed);
      if (stall && extra.length === 0) stallNotes.push(`  ${label}: a failed stall run (${s.report.stallMs} ms stall, vitest's 5 s test timeout) ends "${clip(stall.firstLine, 120)}"`);
    }
    const v = sweeps['virtual, defaults']!;
    const cores = availableParallelism();
    const floor = v.cpu === null ? '' : `; its runs used ${v.cpu.toFixed(0)} CPU s, at least ${(v.cpu / cores).toFixed(1)} s on ${cores} cores however they are scheduled`;
    return [
      `gen and sweep on the virtual clock (issue 20): a ${CHUNKS}-chunk stream recorded over ${recordedMs.toFixed(0)} ms through the recorder (openai SDK)`,
      `  1. the test \`traceforge gen ID --timing recorded\` writes, ${COPIES} copies in one \`vitest run\` (each file isolated), ${busy} CPU-bound processes running (load average ${load0.toFixed(1)} before)`,
      table(['clock', 'passed', 'vitest s', 'failures'], genRows),
      ...(genSample ? [`  e.g. ${genSample}`] : []),
      `  2. traceforge sweep --kinds ${KINDS} -- node vitest.mjs run test/sweep.test.ts (useCassette, openai SDK), jobs = ${cores} (cores), load average ${load1.toFixed(1)} before`,
      table(['clock, options', 'runs', 'passed per kind', 'killed', 'stall ms', 'run p50 s', 'CPU s', 'CPU s/run', 'wall s'], sweepRows),
      ...stallNotes,
      `  goals: gen's test ${COPIES} of ${COPIES} under load (measured ${virtual.passed} of ${COPIES}; --clock wall ${wall.passed} of ${COPIES}); default sweep < 30 s on 2 cores (measured ${(v.wall / 1000).toFixed(1)} s on ${cores} cores${floor})`,
    ].join('\n');
  } finally {
    await world.close();
    await rm(project, { recursive: true, force: true });
  }
}
