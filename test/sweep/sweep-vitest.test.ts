/**
 * The sweep inside a user's own vitest suite, run as a user runs it (a child vitest process in a
 * project that resolves `traceforge` to this package): `describe.each(sweepFaults(...))` with
 * `useCassette(path, { faults: [fault] })`, and `traceforge sweep -- vitest run` handing each fault
 * to a plain `useCassette` of that cassette through TRACEFORGE_SWEEP.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCassette } from '../../src/cassette/codec.js';
import { writeCassette } from '../../src/store/cassette-file.js';
import { openaiChatStream, splitTokens } from '../fakes/index.js';
import { BIN } from '../record/cli-process.js';
import { CHAT_REQUEST, recordScript } from '../replay/recorded.js';
import { REPO, run } from '../gen/vitest-runner.js';

const TEXT = 'Streams can fail halfway, and your app should cope with that gracefully.';
let project: string;

const ASK = `
import OpenAI from 'openai';
export const TEXT = ${JSON.stringify(TEXT)};
/** The app: stream the answer, retrying the whole call APP_RETRIES times. */
export async function ask(baseURL: string): Promise<string> {
  const retries = Number(process.env.APP_RETRIES ?? 0);
  const openai = new OpenAI({ baseURL: \`\${baseURL}/v1\`, apiKey: 'test', maxRetries: retries });
  for (let attempt = 0; ; attempt++) {
    try {
      const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Say hello' }] });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      return text;
    } catch (e) {
      if (attempt >= retries) throw e;
    }
  }
}
`;

const SWEPT = `
import { describe, expect, it } from 'vitest';
import { sweepFaults } from 'traceforge/sweep';
import { useCassette } from 'traceforge/vitest';
import { TEXT, ask } from './ask.js';

describe.each(sweepFaults('fixtures/chat.yaml', { kinds: ['drop-after', 'truncate-json', 'stall'], budget: 3, stallMs: 200 }))('%s', (fault) => {
  const cassette = useCassette('fixtures/chat.yaml', { mode: 'none', speed: 0, faults: [fault] });
  it('answers', async () => {
    expect(await ask(cassette.url)).toBe(TEXT);
  });
});
`;

const PLAIN = `
import { expect, it } from 'vitest';
import { useCassette } from 'traceforge/vitest';
import { TEXT, ask } from './ask.js';

const cassette = useCassette('fixtures/chat.yaml', { mode: 'none', speed: 0 });
it('answers', async () => {
  expect(await ask(cassette.url)).toBe(TEXT);
});
`;

beforeAll(async () => {
  await mkdir(join(REPO, '.tmp'), { recursive: true });
  project = await mkdtemp(join(REPO, '.tmp', 'sweep-vitest-'));
  await mkdir(join(project, 'test'), { recursive: true });
  await writeFile(join(project, 'vitest.config.mjs'), "export default { test: { include: ['test/**/*.test.ts'], testTimeout: 20000, hookTimeout: 30000 } };\n");
  await writeFile(join(project, 'test', 'ask.ts'), ASK);
  await writeFile(join(project, 'test', 'swept.test.ts'), SWEPT);
  await writeFile(join(project, 'test', 'plain.test.ts'), PLAIN);
  const trace = await recordScript(openaiChatStream({ text: splitTokens(TEXT), gaps: 2 }), '/v1/chat/completions', CHAT_REQUEST);
  await writeCassette(join(project, 'fixtures', 'chat.yaml'), { ...emptyCassette(), interactions: [trace] });
});
afterAll(() => rm(project, { recursive: true, force: true }));

const VITEST = resolve(REPO, 'node_modules/vitest/vitest.mjs');

/** Run one test file of the project; each test's full name and status. */
async function vitest(file: string, env: Record<string, string> = {}): Promise<{ code: number | null; tests: Map<string, string>; output: string }> {
  const out = join(project, `report-${Math.random().toString(36).slice(2)}.json`);
  const r = await run(process.execPath, [VITEST, 'run', file, '--reporter=json', `--outputFile=${out}`], project, env);
  const report = JSON.parse(await readFile(out, 'utf8')) as { testResults: Array<{ assertionResults: Array<{ fullName: string; status: string }> }> };
  const tests = new Map(report.testResults.flatMap((f) => f.assertionResults.map((a) => [a.fullName, a.status] as const)));
  return { code: r.code, tests, output: r.output };
}

describe('describe.each(sweepFaults(...)) with useCassette(path, { faults: [fault] })', () => {
  it('without retries: drop-after and truncate-json fail, the stall passes; with a retry every fault passes', async () => {
    const bare = await vitest('test/swept.test.ts');
    expect(bare.code).toBe(1);
    const names = [...bare.tests.keys()];
    expect(names.filter((n) => n.startsWith('drop-after='))).toHaveLength(3);
    expect(names.filter((n) => n.startsWith('stall='))).toHaveLength(3);
    expect(names.some((n) => /^drop-after=\d+ \(.+\) answers$/.test(n))).toBe(true);
    for (const [name, status] of bare.tests) {
      if (/^(drop-after|truncate-json)=/.test(name)) expect(status, name).toBe('failed');
      else expect(status, `${name}\n${bare.output}`).toBe('passed');
    }
    const retried = await vitest('test/swept.test.ts', { APP_RETRIES: '2' });
    expect([...retried.tests.values()].every((s) => s === 'passed'), retried.output).toBe(true);
    expect(retried.tests.size).toBe(bare.tests.size);
    expect(retried.code).toBe(0);
  });
});

describe('traceforge sweep -- vitest run', () => {
  it('a plain useCassette of the swept cassette picks each fault up from TRACEFORGE_SWEEP', async () => {
    const r = await run(process.execPath, [BIN, 'sweep', 'fixtures/chat.yaml', '--kinds', 'drop-after', '--budget', '2', '--jobs', '2', '--json', '--', process.execPath, VITEST, 'run', 'test/plain.test.ts'], project);
    const report = JSON.parse(r.stdout) as { baseline: { passed: boolean }; results: Array<{ fault: string; passed: boolean; firstLine: string }> };
    expect(report.baseline.passed, r.output).toBe(true);
    expect(report.results.map((x) => x.fault)).toEqual(['drop-after=0@1', 'drop-after=2@1']);
    for (const x of report.results) expect(x.passed, x.fault).toBe(false);
    expect(r.code).toBe(1);
  });
});
