/**
 * Recording a whole suite with `traceforge record --cassette PATH -- vitest run`: every call is in the
 * cassette once, whether the test points its client at cassette.url (README style) or the app's SDK
 * reads OPENAI_BASE_URL from `record`; with per-file cassettes (the setup entry) each file's cassette
 * gets its own calls once. Then the suite replays under CI with the upstream gone.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCassette } from '../../src/store/cassette-file.js';
import { startAnyProviderFake } from './any-provider.js';
import type { FakeUpstream } from '../fakes/index.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'dist/cli/bin.js');
const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs');
const WORK = join(ROOT, '.tmp', `record-suite-${process.pid}`);
const USE = JSON.stringify(join(ROOT, 'src/vitest.ts'));

const README_STYLE = `
import OpenAI from 'openai';
import { expect, it } from 'vitest';
import { useCassette } from ${USE};
const cassette = useCassette('fixtures/chat.yaml');
async function ask(content: string) {
  const client = new OpenAI({ baseURL: cassette.url + '/v1', apiKey: 'test', maxRetries: 0 });
  return (await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] })).choices[0].message.content;
}
it('one', async () => expect(await ask('one')).toBe('openai says one'));
it('two', async () => expect(await ask('two')).toBe('openai says two'));
`;

const APP_STYLE = `
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { expect, it } from 'vitest';
import { useCassette } from ${USE};
const openai = new OpenAI({ maxRetries: 0 });
const anthropic = new Anthropic({ maxRetries: 0 });
useCassette('fixtures/chat.yaml');
it('three', async () => expect((await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'three' }] })).choices[0].message.content).toBe('openai says three'));
it('four', async () => expect(await anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'four' }] }).finalText()).toBe('anthropic says four'));
`;

function env(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', OPENAI_API_KEY: 'sk-fake-000', ANTHROPIC_API_KEY: 'sk-ant-fake-000' };
  for (const k of ['CI', 'TRACEFORGE_RECORD', 'TRACEFORGE_UPSTREAM', 'TRACEFORGE_PROXY_URL', 'TRACEFORGE_CASSETTE', 'TRACEFORGE_FAULTS', 'OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'VITEST', 'VITEST_WORKER_ID', 'VITEST_POOL_ID']) delete base[k];
  return { ...base, ...extra };
}

async function sh(cmd: string[], cwd: string, extra: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, cmd, { cwd, env: env(extra) });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

const prompts = async (path: string) => (await loadCassette(path)).interactions.map((t) => (t.request as { messages: Array<{ content: string }> }).messages[0]!.content).sort();

describe('traceforge record -- vitest run', () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    await rm(WORK, { recursive: true, force: true });
    await mkdir(join(WORK, 'shared'), { recursive: true });
    await mkdir(join(WORK, 'perfile'), { recursive: true });
    await writeFile(join(WORK, 'shared/vitest.config.mjs'), "export default { test: { include: ['*.spec.ts'] } };\n");
    await writeFile(join(WORK, 'shared/readme.spec.ts'), README_STYLE);
    await writeFile(join(WORK, 'shared/app.spec.ts'), APP_STYLE);
    await writeFile(join(WORK, 'perfile/vitest.config.mjs'), `export default { test: { include: ['*.spec.ts'], setupFiles: [${JSON.stringify(join(ROOT, 'src/vitest-setup.ts'))}] } };\n`);
    await writeFile(join(WORK, 'perfile/readme.spec.ts'), README_STYLE.replace("useCassette('fixtures/chat.yaml')", 'useCassette()'));
    await writeFile(join(WORK, 'perfile/app.spec.ts'), APP_STYLE.replace("useCassette('fixtures/chat.yaml');", ''));
    fake = await startAnyProviderFake();
  });
  afterAll(async () => {
    await fake?.close();
    await rm(WORK, { recursive: true, force: true });
  });

  it('one shared cassette: each call once, from either style of test; then it replays under CI', async () => {
    const dir = join(WORK, 'shared');
    const rec = await sh([BIN, 'record', '--upstream', fake.url, '--cassette', 'fixtures/chat.yaml', '--', process.execPath, VITEST, 'run', '--root', dir], dir);
    expect(rec.out).toContain('4 passed');
    expect(rec.code).toBe(0);
    expect(await prompts(join(dir, 'fixtures/chat.yaml'))).toEqual(['four', 'one', 'three', 'two']);
    // One trace per call, written by `record` (the sessions inside leave it to record).
    expect((await readdir(join(dir, '.ai-tests/traces'))).filter((f) => f.endsWith('.json'))).toHaveLength(4);
    const seen = fake.requests.length;
    const replay = await sh([VITEST, 'run', '--root', dir], dir, { CI: 'true' });
    expect(replay.out).toContain('4 passed');
    expect(replay.code).toBe(0);
    expect(fake.requests.length).toBe(seen);
  }, 60_000);

  it('a cassette per file (the setup entry) under `record --`: each file gets its own calls once', async () => {
    const dir = join(WORK, 'perfile');
    const rec = await sh([BIN, 'record', '--upstream', fake.url, '--', process.execPath, VITEST, 'run', '--root', dir], dir);
    expect(rec.out).toContain('4 passed');
    expect(rec.code).toBe(0);
    expect(await prompts(join(dir, '__cassettes__/readme.spec.yaml'))).toEqual(['one', 'two']);
    expect(await prompts(join(dir, '__cassettes__/app.spec.yaml'))).toEqual(['four', 'three']);
    const replay = await sh([VITEST, 'run', '--root', dir], dir, { CI: 'true' });
    expect(replay.out).toContain('4 passed');
    expect(replay.code).toBe(0);
  }, 60_000);
});
