/**
 * `traceforge gen --timing recorded`: the tests it writes replay on the virtual clock by default and
 * check the recorded times to 0.01 ms, for every built-in template, run by vitest as a user runs them;
 * a change far below any wall-clock tolerance fails them. `--clock wall` keeps real-time replay with
 * tolerances, and its failure says when the machine was too busy to keep time.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCassette } from '../../src/cassette/codec.js';
import { runCli } from '../cli/trace-cli-helpers.js';
import { recordTraces, type RecordedTraces } from './record-traces.js';
import { REPO, runVitest } from './vitest-runner.js';

/** One generated test per built-in template (fetch on both framings), all on the virtual clock. */
const VIRTUAL: Array<{ name: string; trace: keyof RecordedTraces; template?: string; label: string }> = [
  { name: 'openai', trace: 'paced', label: 'time to first chunk' },
  { name: 'responses', trace: 'responses', label: 'time to first event' },
  { name: 'anthropic', trace: 'anthropic', label: 'time to first event' },
  { name: 'fetch-ndjson', trace: 'ollama', label: 'time to first chunk' },
  { name: 'fetch-sse', trace: 'chat', template: 'fetch', label: 'time to first chunk' },
];

let project: string;
let traces: RecordedTraces;
const pristine = new Map<string, string>();

const testFile = (name: string) => `test/${name}.test.ts`;
const cassetteFile = (name: string) => join(project, 'fixtures', `${name}.yaml`);

beforeAll(async () => {
  await mkdir(join(REPO, '.tmp'), { recursive: true });
  project = await mkdtemp(join(REPO, '.tmp', 'gen-clock-'));
  await writeFile(join(project, 'vitest.config.mjs'), "export default { test: { include: ['test/**/*.test.ts'] } };\n");
  traces = await recordTraces(join(project, '.ai-tests', 'traces'));
  const runs = [
    ...VIRTUAL.map((v) => [v.name, traces[v.trace].id, ...(v.template ? ['--template', v.template] : [])]),
    ['wall', traces.paced.id, '--clock', 'wall'],
  ];
  for (const [name, id, ...extra] of runs) {
    const r = await runCli(project, ['gen', id!, '--timing', 'recorded', '--out', testFile(name!), '--cassette', `fixtures/${name}.yaml`, ...extra], { NO_COLOR: '1' });
    if (r.code !== 0) throw new Error(`gen ${name} failed: ${r.stderr}`);
    pristine.set(name!, await readFile(cassetteFile(name!), 'utf8'));
  }
});
afterAll(() => rm(project, { recursive: true, force: true }));

interface FileResult {
  file: string;
  status: string;
  failures: string[];
}

/** Run these generated files in one vitest child; each file's status and failure messages. */
async function runFiles(names: string[], extra: string[] = []): Promise<{ code: number | null; files: Map<string, FileResult>; output: string }> {
  const out = join(project, `report-${Math.random().toString(36).slice(2)}.json`);
  const r = await runVitest(project, [...names.map(testFile), '--reporter=json', `--outputFile=${out}`, ...extra]);
  const report = JSON.parse(await readFile(out, 'utf8')) as { testResults: Array<{ name: string; status: string; assertionResults: Array<{ failureMessages: string[] }> }> };
  const files = new Map<string, FileResult>();
  for (const f of report.testResults) {
    const name = /test\/([\w-]+)\.test\.ts$/.exec(f.name)![1]!;
    files.set(name, { file: f.name, status: f.status, failures: f.assertionResults.flatMap((a) => a.failureMessages) });
  }
  return { code: r.code, files, output: r.output };
}

/** The recorded schedule, read back from the cassette the way replay reads it. */
function schedule(yaml: string): { first: number; end: number } {
  const trace = parseCassette(yaml, 'x.yaml').interactions[0]!;
  let at = trace.first_chunk_latency_ms!;
  const first = at;
  for (const c of trace.chunks!.slice(1)) at += c.delta_ms;
  return { first, end: at };
}

/** Add `ms` to the n-th-from-last chunk gap, or to the first chunk's latency. */
function shift(yaml: string, where: 'gap' | 'first', ms: number): string {
  const m = where === 'gap' ? [...yaml.matchAll(/^(\s+- delta_ms: )([\d.]+)$/gm)].at(-2)! : /^(\s*-?\s*first_chunk_latency_ms: )([\d.]+)$/m.exec(yaml)!;
  const changed = `${yaml.slice(0, m.index)}${m[1]}${Math.round((Number(m[2]) + ms) * 1000) / 1000}${yaml.slice(m.index! + m[0].length)}`;
  expect(changed).not.toBe(yaml);
  return changed;
}

describe('gen --timing recorded: the virtual clock', () => {
  it('every template asserts the recorded first-chunk and end times, and passes first time with no retries', { timeout: 180_000 }, async () => {
    for (const v of VIRTUAL) {
      const src = await readFile(join(project, testFile(v.name)), 'utf8');
      expect(src).toContain("useCassette(fixture, { clock: 'virtual' })");
      const { first, end } = schedule(pristine.get(v.name)!);
      expect(Number(/const RECORDED_FIRST_CHUNK_MS = ([\d.]+);/.exec(src)![1])).toBeCloseTo(first, 3);
      expect(Number(/const RECORDED_END_MS = ([\d.]+);/.exec(src)![1])).toBeCloseTo(end, 3);
    }
    const r = await runFiles(VIRTUAL.map((v) => v.name));
    for (const v of VIRTUAL) expect(r.files.get(v.name)?.status, `${v.name}\n${r.output}`).toBe('passed');
    expect(r.code).toBe(0);
  });

  it('a gap 0.05 ms longer than recorded fails the end time; a first chunk 0.05 ms later fails the first-chunk time', { timeout: 180_000 }, async () => {
    // 0.05 ms: two thousand times below the wall-clock tolerance of 100 ms, and still a failure.
    for (const v of VIRTUAL) await writeFile(cassetteFile(v.name), shift(pristine.get(v.name)!, 'gap', 0.05));
    const gap = await runFiles(VIRTUAL.map((v) => v.name));
    expect(gap.code).toBe(1);
    for (const v of VIRTUAL) {
      const { end } = schedule(pristine.get(v.name)!);
      const f = gap.files.get(v.name)!;
      expect(f.status, v.name).toBe('failed');
      const m = /AssertionError: time to the end of the stream \(ms\): expected ([\d.]+) to be less than or equal to/.exec(f.failures.join('\n'));
      expect(m, `${v.name}: ${f.failures.join('\n')}`).not.toBeNull();
      expect(Math.abs(Number(m![1]) - (end + 0.05)), v.name).toBeLessThan(0.005);
    }

    for (const v of VIRTUAL) await writeFile(cassetteFile(v.name), shift(pristine.get(v.name)!, 'first', 0.05));
    const late = await runFiles(VIRTUAL.map((v) => v.name));
    expect(late.code).toBe(1);
    for (const v of VIRTUAL) {
      const f = late.files.get(v.name)!;
      expect(f.failures.join('\n'), v.name).toMatch(new RegExp(`AssertionError: ${v.label} \\(ms\\): expected [\\d.]+ to be less than or equal to`));
    }
    for (const v of VIRTUAL) await writeFile(cassetteFile(v.name), pristine.get(v.name)!);
  });
});

describe('gen --timing recorded --clock wall', () => {
  it('replays in real time with tolerances, and a timing failure on a busy machine says so and points at the virtual clock', { timeout: 180_000 }, async () => {
    const path = join(project, testFile('wall'));
    const src = await readFile(path, 'utf8');
    expect(src).toContain('useCassette(fixture, { speed: 1 })');
    // Real time in a child process while this suite loads both cores: the retries a user's CI would give it.
    const ok = await runFiles(['wall'], ['--retry=2']);
    expect(ok.files.get('wall')?.status, ok.output).toBe('passed');

    // Any lateness counts as busy here, and the stream ends 300 ms late: the failure carries the note.
    await writeFile(path, src.replace('const BUSY_LATENESS_MS = 5;', 'const BUSY_LATENESS_MS = -1;'));
    const yaml = pristine.get('wall')!;
    const lastGap = [...yaml.matchAll(/^(\s+- delta_ms: )([\d.]+)$/gm)].at(-1)!;
    await writeFile(cassetteFile('wall'), `${yaml.slice(0, lastGap.index)}${lastGap[1]}${Number(lastGap[2]) + 300}${yaml.slice(lastGap.index + lastGap[0].length)}`);
    const busy = await runFiles(['wall']);
    expect(busy.code).toBe(1);
    const failure = busy.files.get('wall')!.failures.join('\n');
    expect(failure).toMatch(/AssertionError: (time to first chunk|total duration) \(ms\) \(the machine was too busy for wall-clock timing: replayed chunks were written up to [\d.]+ ms late, p99 [\d.]+ ms over \d+ chunks;/);
    expect(failure).toContain("useCassette(fixture, { clock: 'virtual' })");

    // At the shipped threshold, a quiet replay's failure is about the code, with no note (unless this machine is that busy).
    await writeFile(path, src);
    const plain = await runFiles(['wall']);
    expect(plain.code).toBe(1);
    expect(plain.files.get('wall')!.failures.join('\n')).toMatch(/AssertionError: (time to first chunk|total duration) \(ms\)/);
  });
});
