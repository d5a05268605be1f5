/**
 * traceforge/jest under the real jest (ESM mode: --experimental-vm-modules, .mjs test file): an
 * unmodified OpenAI client built at import (global fetch) and an axios call (node:https), a cassette
 * named after the test file, recorded once against a fake upstream, replayed under CI with it gone; a
 * changed prompt fails with the miss explanation.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnyProviderFake } from './any-provider.js';
import type { FakeUpstream } from '../fakes/index.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const WORK = join(ROOT, '.tmp', `jest-${process.pid}`);
const JEST = join(ROOT, 'node_modules/jest/bin/jest.js');

const APP = `
import OpenAI from 'openai';
import axios from 'axios';

const openai = new OpenAI({ maxRetries: 0 });

export async function answer(q) {
  const r = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: q }] });
  return r.choices[0].message.content;
}

export async function summarize(q) {
  const res = await axios.post('https://api.openai.com/v1/summarize', { text: q });
  return res.data.summary;
}
`;

const SPEC = `
import { answer, summarize } from './app.mjs';
import { useCassette } from 'traceforge/jest';

const Q = process.env.PROMPT ?? 'hi';
useCassette();

test('answers (fetch)', async () => {
  expect(await answer(Q)).toBe('openai says ' + Q);
});

test('summarizes (axios)', async () => {
  expect(await summarize(Q)).toBe('summary of ' + Q);
});

test('swallows the error', async () => {
  await answer(Q).catch(() => undefined);
});
`;

async function jest(extra: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENAI_API_KEY: 'sk-fake-000', NODE_OPTIONS: '--experimental-vm-modules', ...extra };
  for (const k of ['CI', 'TRACEFORGE_RECORD', 'TRACEFORGE_UPSTREAM', 'TRACEFORGE_PROXY_URL', 'TRACEFORGE_CASSETTE', 'TRACEFORGE_FAULTS', 'OPENAI_BASE_URL', 'VITEST', 'VITEST_WORKER_ID', 'VITEST_POOL_ID']) if (!(k in extra)) delete env[k];
  try {
    const { stdout, stderr } = await run(process.execPath, [JEST, '--ci', '--no-cache', '--runInBand'], { cwd: WORK, env });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

describe('traceforge/jest with the real jest', () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    await rm(WORK, { recursive: true, force: true });
    await mkdir(WORK, { recursive: true });
    await writeFile(join(WORK, 'app.mjs'), APP);
    await writeFile(join(WORK, 'app.test.mjs'), SPEC);
    await writeFile(join(WORK, 'jest.config.mjs'), `export default { testEnvironment: 'node', testMatch: ['**/*.test.mjs'], transform: {} };\n`);
    fake = await startAnyProviderFake();
  });
  afterAll(async () => {
    await fake?.close();
    await rm(WORK, { recursive: true, force: true });
  });

  it('records once, replays under CI with the upstream gone, fails a changed prompt with the miss', async () => {
    const rec = await jest({ TRACEFORGE_RECORD: 'once', TRACEFORGE_UPSTREAM: fake.url });
    expect(rec.out).toMatch(/Tests:\s+3 passed, 3 total/);
    expect(rec.code).toBe(0);
    expect(existsSync(join(WORK, '__cassettes__/app.test.yaml'))).toBe(true);
    // Both calls went through the recorder to the fake: the fetch one and the node:https one.
    expect(fake.requests.map((r) => r.url).sort()).toEqual(['/v1/chat/completions', '/v1/chat/completions', '/v1/summarize']);
    await fake.close();
    const seen = fake.requests.length;
    const replay = await jest({ CI: 'true' });
    expect(replay.out).toMatch(/Tests:\s+3 passed, 3 total/);
    expect(replay.code).toBe(0);
    expect(fake.requests.length).toBe(seen);
    const changed = await jest({ CI: 'true', PROMPT: 'bye' });
    expect(changed.code).not.toBe(0);
    // The test that swallowed the SDK's error fails too, from the after-each check.
    expect(changed.out).toMatch(/Tests:\s+3 failed, 3 total/);
    expect(changed.out).toContain('matched no recording');
    expect(changed.out).toMatch(/recorded "hi", received "bye"/);
  }, 60_000);
});
