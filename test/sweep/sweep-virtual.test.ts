/**
 * `traceforge sweep -- vitest run` hands the command TRACEFORGE_CLOCK=virtual with the faults: a plain
 * `useCassette` in the swept suite replays on the virtual clock, so a stall (120 s by default there) costs
 * no wall time, trips the app's own timeout when it has one, and never the runner's.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCassette } from '../../src/cassette/codec.js';
import { writeCassette } from '../../src/store/cassette-file.js';
import { DEFAULT_VIRTUAL_STALL_MS } from '../../src/sweep/points.js';
import { sweepEnv } from '../../src/sweep/run.js';
import { openaiChatStream, splitTokens } from '../fakes/index.js';
import { BIN } from '../record/cli-process.js';
import { CHAT_REQUEST, recordScript } from '../replay/recorded.js';
import { REPO, run } from '../gen/vitest-runner.js';

// 21 words: role, 21 tokens, finish and [DONE] make a 24-chunk stream.
const TEXT = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty twentyone';

/** The app: stream the answer; APP_IDLE_MS aborts a stream that goes quiet that long (a timer, on the virtual clock under test). */
const ASK = `
import OpenAI from 'openai';
export const TEXT = ${JSON.stringify(TEXT)};
export async function ask(baseURL: string): Promise<string> {
  const idleMs = Number(process.env.APP_IDLE_MS ?? 0);
  const openai = new OpenAI({ baseURL: \`\${baseURL}/v1\`, apiKey: 'test', maxRetries: 0 });
  const controller = new AbortController();
  let idle: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    if (!idleMs) return;
    clearTimeout(idle);
    idle = setTimeout(() => controller.abort(new Error(\`no chunk for \${idleMs} ms\`)), idleMs);
  };
  arm();
  try {
    const stream = await openai.chat.completions.create({ ...${JSON.stringify(CHAT_REQUEST)} }, { signal: controller.signal });
    let text = '';
    for await (const chunk of stream) {
      arm();
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    return text;
  } finally {
    clearTimeout(idle);
  }
}
`;

const PLAIN = `
import { expect, it } from 'vitest';
import { useCassette } from 'traceforge/vitest';
import { TEXT, ask } from './ask.js';

const cassette = useCassette('fixtures/chat.yaml', { mode: 'none' });
it('answers', async () => {
  expect(await ask(cassette.url)).toBe(TEXT);
});
`;

let project: string;
let chunks = 0;
beforeAll(async () => {
  await mkdir(join(REPO, '.tmp'), { recursive: true });
  project = await mkdtemp(join(REPO, '.tmp', 'sweep-virtual-'));
  await mkdir(join(project, 'test'), { recursive: true });
  // vitest's default test timeout: a stall that cost its 120 s of wall time would fail every stall run here.
  await writeFile(join(project, 'vitest.config.mjs'), "export default { test: { include: ['test/**/*.test.ts'], testTimeout: 5000 } };\n");
  await writeFile(join(project, 'test', 'ask.ts'), ASK);
  await writeFile(join(project, 'test', 'plain.test.ts'), PLAIN);
  const trace = await recordScript(openaiChatStream({ text: splitTokens(TEXT), gaps: 2 }), '/v1/chat/completions', CHAT_REQUEST);
  chunks = trace.chunks!.length;
  await writeCassette(join(project, 'fixtures', 'chat.yaml'), { ...emptyCassette(), interactions: [trace] });
});
afterAll(() => rm(project, { recursive: true, force: true }));

const VITEST = resolve(REPO, 'node_modules/vitest/vitest.mjs');

interface Report {
  clock: string;
  stallMs: number;
  notes: string[];
  chunks: number;
  baseline: { passed: boolean; served: number };
  results: Array<{ fault: string; kind: string; passed: boolean; timedOut: boolean; firstLine: string; ms: number }>;
}

async function sweep(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; report: Report; output: string }> {
  const r = await run(process.execPath, [BIN, 'sweep', 'fixtures/chat.yaml', '--json', '--jobs', '2', ...args, '--', process.execPath, VITEST, 'run', 'test/plain.test.ts'], project, env);
  return { code: r.code, report: JSON.parse(r.stdout) as Report, output: r.output };
}

describe('sweepEnv', () => {
  it('names the cassette, the fault and the virtual clock (unless the environment picks a clock) in TRACEFORGE_SWEEP; base URLs only when asked', () => {
    const fault = { spec: 'stall=3:120000@1' } as Parameters<typeof sweepEnv>[1];
    const url = 'http://127.0.0.1:1';
    const said = (env: NodeJS.ProcessEnv) => JSON.parse(env.TRACEFORGE_SWEEP!) as Record<string, unknown>;
    const env = sweepEnv(url, fault, { OPENAI_BASE_URL: 'https://proxy.example/v1', TRACEFORGE_FAULTS: 'drop-after=1' }, { cassette: '/app/fixtures/chat.yaml' });
    expect(said(env)).toEqual({ cassette: '/app/fixtures/chat.yaml', fault: 'stall=3:120000@1', clock: 'virtual' });
    // The suite's own variables pass through untouched, and nothing turns colour on.
    expect(env).toMatchObject({ OPENAI_BASE_URL: 'https://proxy.example/v1', TRACEFORGE_REPLAY_URL: url, NO_COLOR: '1', FORCE_COLOR: '0' });
    expect(env.TRACEFORGE_CLOCK).toBeUndefined();
    expect(env.TRACEFORGE_FAULTS).toBeUndefined();
    expect(env.ANTHROPIC_BASE_URL).toBeUndefined();
    expect(said(sweepEnv(url, null, {}, { cassette: '/c.yaml' }))).toEqual({ cassette: '/c.yaml', clock: 'virtual' });
    const own = sweepEnv(url, fault, { TRACEFORGE_CLOCK: 'wall' }, { cassette: '/c.yaml' });
    expect([own.TRACEFORGE_CLOCK, said(own).clock]).toEqual(['wall', undefined]);
    expect(said(sweepEnv(url, fault, {}, { cassette: '/c.yaml', virtual: false })).clock).toBeUndefined();
    expect(sweepEnv(url, fault, {}, { cassette: '/c.yaml', baseUrls: true })).toMatchObject({ OPENAI_BASE_URL: `${url}/v1`, ANTHROPIC_BASE_URL: url, OLLAMA_HOST: url });
  });
});

describe('traceforge sweep -- vitest run, on the virtual clock', () => {
  // Each sweep is several vitest starts, two at a time: room for a loaded 2-core machine.
  it('a 120 s stall at every point costs no wall time and hits no runner timeout', { timeout: 120_000 }, async () => {
    expect(chunks).toBe(24);
    const calm = await sweep(['--kinds', 'drop-after,truncate-json,stall', '--budget', '3']);
    expect(calm.report.baseline.passed, calm.output).toBe(true);
    // The suite's useCassette answered every call itself: the sweep's own replay server served none.
    expect(calm.report.baseline.served).toBe(0);
    expect(calm.report, calm.report.notes.join('\n')).toMatchObject({ clock: 'virtual', stallMs: DEFAULT_VIRTUAL_STALL_MS, chunks: 24 });
    expect(calm.report.notes.join('\n')).toContain('stalls last 120000 ms of virtual time');
    const stalls = calm.report.results.filter((x) => x.kind === 'stall');
    expect(stalls.map((x) => x.fault)).toEqual(expect.arrayContaining([expect.stringMatching(/^stall=\d+:120000@1$/)]));
    expect(stalls.length).toBeGreaterThanOrEqual(3);
    // An app with no timeout of its own waits the stall out, in virtual time, within vitest's 5 s test timeout.
    for (const s of stalls) {
      expect(s.passed, `${s.fault}: ${s.firstLine}`).toBe(true);
      // Loose: a vitest start on a loaded 2-core machine, far below the 120 s the stall lasts.
      expect(s.ms).toBeLessThan(60_000);
    }
    for (const x of calm.report.results.filter((r) => r.kind !== 'stall')) expect(x.passed, x.fault).toBe(false);
  });

  it('the same stall trips an app idle timeout of 30 s, at no wall cost', { timeout: 120_000 }, async () => {
    const strict = await sweep(['--kinds', 'stall', '--budget', '2'], { APP_IDLE_MS: '30000' });
    expect(strict.report.baseline.passed, strict.output).toBe(true);
    expect(strict.report.results.length).toBeGreaterThanOrEqual(2);
    // The same stalls, now failing: the app's own 30 s idle timer fired inside the 120 s stall (in virtual
    // time: the runs are no slower), not the sweep's kill.
    for (const s of strict.report.results) {
      expect(s.passed, s.fault).toBe(false);
      expect(s.timedOut, s.fault).toBe(false);
      expect(s.ms).toBeLessThan(60_000);
    }
    expect(strict.code).toBe(1);
  });

  it('leaves a TRACEFORGE_CLOCK of the caller alone, and keeps the short stall on the wall clock', async () => {
    const r = await sweep(['--kinds', 'stall', '--budget', '1', '--stall-ms', '300'], { TRACEFORGE_CLOCK: 'wall' });
    expect(r.report.baseline.passed, r.output).toBe(true);
    expect(r.report).toMatchObject({ clock: 'env', stallMs: 300, notes: [] });
    expect(r.report.results.map((x) => x.fault)).toEqual([expect.stringMatching(/^stall=\d+:300@1$/)]);
  });

  it('a suite that fails on the virtual clock and passes on the wall clock is swept on the wall clock, and says so', { timeout: 120_000 }, async () => {
    const wallOnly = PLAIN.replace("it('answers', async () => {", "it('answers', async () => {\n  if (JSON.parse(process.env.TRACEFORGE_SWEEP ?? '{}').clock === 'virtual') throw new Error('this suite needs the wall clock');");
    expect(wallOnly).not.toBe(PLAIN);
    await writeFile(join(project, 'test', 'plain.test.ts'), wallOnly);
    try {
      const r = await sweep(['--kinds', 'drop-after', '--budget', '1']);
      expect(r.report.baseline.passed, r.output).toBe(true);
      expect(r.report.clock).toBe('wall');
      expect(r.report.notes.join('\n')).toMatch(/the clean run failed with fixtures\/chat.yaml on the virtual clock \(.+\) and passed on the wall clock/);
      expect(r.output).toContain('traceforge: the clean run failed with fixtures/chat.yaml on the virtual clock');
      expect(r.report.results).toHaveLength(1);
      // The fault run went without the virtual clock too: it fails on the fault, not on the guard.
      expect(r.report.results[0]!.passed).toBe(false);
      expect(r.report.results[0]!.firstLine).not.toContain('needs the wall clock');
    } finally {
      await writeFile(join(project, 'test', 'plain.test.ts'), PLAIN);
    }
  });
});
