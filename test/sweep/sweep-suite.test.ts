/**
 * `traceforge sweep` on a whole suite, as a user runs it: two vitest files, each with its own cassette and an
 * SDK client that keeps its default base URL (`new OpenAI()`), one cassette swept. The fault reaches only the
 * swept cassette's useCassette; the other file replays as usual; each failing row says which test failed and why.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCassette } from '../../src/cassette/codec.js';
import { writeCassette } from '../../src/store/cassette-file.js';
import { openaiChatStream, splitTokens } from '../fakes/index.js';
import { BIN } from '../record/cli-process.js';
import { CHAT_REQUEST, recordScript } from '../replay/recorded.js';
import { REPO, run } from '../gen/vitest-runner.js';

const SWEPT_TEXT = 'The swept cassette answers this.';
const OTHER_TEXT = 'Another cassette answers that.';

/** A test file as users write them: the SDK's own default base URL, the cassette served by interception. */
const testFile = (cassette: string, name: string, text: string) => `
import OpenAI from 'openai';
import { expect, it } from 'vitest';
import { useCassette } from 'traceforge/vitest';

useCassette(${JSON.stringify(cassette)}, { mode: 'none' });
it(${JSON.stringify(name)}, async () => {
  const stream = await new OpenAI({ apiKey: 'test', maxRetries: 0 }).chat.completions.create(${JSON.stringify(CHAT_REQUEST)});
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  expect(text).toBe(${JSON.stringify(text)});
});
`;

let project: string;
beforeAll(async () => {
  await mkdir(join(REPO, '.tmp'), { recursive: true });
  project = await mkdtemp(join(REPO, '.tmp', 'sweep-suite-'));
  await mkdir(join(project, 'test'), { recursive: true });
  // vitest's default 5 s test timeout; hooks get room for a loaded machine.
  await writeFile(join(project, 'vitest.config.mjs'), "export default { test: { include: ['test/**/*.test.ts'], hookTimeout: 60000 } };\n");
  await writeFile(join(project, 'test', 'swept.test.ts'), testFile('fixtures/chat.yaml', 'swept answers', SWEPT_TEXT));
  await writeFile(join(project, 'test', 'other.test.ts'), testFile('fixtures/other.yaml', 'other answers', OTHER_TEXT));
  for (const [file, text] of [['chat.yaml', SWEPT_TEXT], ['other.yaml', OTHER_TEXT]] as const) {
    const trace = await recordScript(openaiChatStream({ text: splitTokens(text), gaps: 2 }), '/v1/chat/completions', CHAT_REQUEST);
    await writeCassette(join(project, 'fixtures', file), { ...emptyCassette(), interactions: [trace] });
  }
});
afterAll(() => rm(project, { recursive: true, force: true }));

const VITEST = resolve(REPO, 'node_modules/vitest/vitest.mjs');

interface Run {
  passed: boolean;
  firstLine: string;
  served: number;
  opened: number;
  log?: string;
  output?: string;
}

describe('traceforge sweep -- vitest run, on a suite of two files with two cassettes', () => {
  it('faults only the swept cassette, names the failing test and its error, stalls on the virtual clock, and logs each run', { timeout: 120_000 }, async () => {
    const r = await run(process.execPath, [BIN, 'sweep', 'fixtures/chat.yaml', '--kinds', 'drop-after,stall', '--budget', '1', '--jobs', '2', '--json', '--show-output', '--', process.execPath, VITEST, 'run'], project, {
      // A colour a user's shell forces on stays out of the report.
      FORCE_COLOR: '1',
    });
    const report = JSON.parse(r.stdout) as { baseline: Run; results: Run[]; logDir: string; stallMs: number; stallClock: string };
    // The clean run passes: the other file's calls went to its own cassette, not to the sweep's server.
    expect(report.baseline.passed, r.output).toBe(true);
    expect(report.baseline).toMatchObject({ served: 0, opened: 1 });
    expect(report.results).toHaveLength(2);
    const [fault, stall] = report.results;
    expect(fault!.passed).toBe(false);
    // The test's own error, not vitest's `❯ test/swept.test.ts (1 test | 1 failed)`.
    expect(fault!.firstLine).toMatch(/^swept answers: \w*Error: /);
    // Only the swept file failed.
    expect(fault!.output).toMatch(/FAIL\s+test\/swept\.test\.ts > swept answers/);
    expect(fault!.output).not.toMatch(/FAIL\s+test\/other\.test\.ts/);
    expect(fault!.output).toMatch(/Tests\s+1 failed \| 1 passed/);
    expect(r.stdout).not.toMatch(/\\u001b|\u001b/);
    // A 120 s stall in virtual time: the test waits it out within vitest's 5 s timeout.
    expect(report).toMatchObject({ stallMs: 120_000, stallClock: 'virtual' });
    expect(stall, stall!.firstLine).toMatchObject({ passed: true });
    // One log per run, the clean run's as run-0.
    expect(report.logDir.startsWith(join(project, '.ai-tests', 'sweeps'))).toBe(true);
    expect(fault!.log).toBe(join(report.logDir, 'run-1.log'));
    const log = await readFile(fault!.log!, 'utf8');
    expect(log).toMatch(/^# traceforge sweep, run 1: drop-after=\d+@1/);
    expect(log).toContain('FAIL  test/swept.test.ts > swept answers');
    expect(existsSync(join(report.logDir, 'run-0.log'))).toBe(true);
    expect(r.code).toBe(1);
  });

  it('--base-urls serves an app without useCassette (node:test), and keeps wall-clock stalls under the runner timeout it names', { timeout: 60_000 }, async () => {
    await writeFile(
      join(project, 'app.test.mjs'),
      `import test from 'node:test';
import assert from 'node:assert';
import OpenAI from 'openai';
test('app answers', async () => {
  const stream = await new OpenAI({ apiKey: 'test', maxRetries: 0 }).chat.completions.create(${JSON.stringify(CHAT_REQUEST)});
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  assert.strictEqual(text, ${JSON.stringify(SWEPT_TEXT)});
});
`,
    );
    const r = await run(process.execPath, [BIN, 'sweep', 'fixtures/chat.yaml', '--base-urls', '--kinds', 'drop-after,stall', '--budget', '1', '--jobs', '1', '--speed', '0', '--', process.execPath, '--test', '--test-timeout=4000', 'app.test.mjs'], project);
    expect(r.output).toContain("stalls last 2000 ms on the wall clock, shorter than node:test's test timeout (4000 ms, --test-timeout)");
    expect(r.stdout).toContain("stalls: 2000 ms on the wall clock; node:test's test timeout: 4000 ms (--test-timeout)");
    // The drop fails the test with its own error, read from node:test's TAP; the stall, shorter than the timeout, passes.
    expect(r.stdout).toMatch(/^\s*1\s+drop-after=\d+\s.*FAIL\s+app answers: TypeError: terminated$/m);
    expect(r.stdout).toMatch(/^\s*2\s+stall=\d+:2000\s.*pass$/m);
    expect(r.code).toBe(1);
  });

  it('refuses, in one line, a sweep whose cassette nothing in the command opens', async () => {
    const r = await run(process.execPath, [BIN, 'sweep', 'fixtures/other.yaml', '--kinds', 'drop-after', '--budget', '1', '--', process.execPath, '-e', '0'], project);
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/^traceforge: the clean run passed, but nothing in it opened fixtures\/other\.yaml .* or --base-urls for an app without useCassette/m);
  });
});
