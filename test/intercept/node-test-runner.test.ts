/**
 * traceforge/node-test under the real `node --test`: an unmodified OpenAI client built at import, a
 * cassette named after the test file, recorded once against a fake upstream, replayed under CI with
 * it gone; a changed prompt fails with the miss explanation.
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
const WORK = join(ROOT, '.tmp', `node-test-${process.pid}`);

const SPEC = `
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { useCassette } from 'traceforge/node-test';

const openai = new OpenAI({ maxRetries: 0 });
const Q = process.env.PROMPT ?? 'hi';
useCassette();

test('answers', async () => {
  const r = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: Q }] });
  assert.equal(r.choices[0].message.content, 'openai says ' + Q);
});

test('swallows the error', async () => {
  await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: Q }] }).catch(() => undefined);
});
`;

async function nodeTest(extra: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENAI_API_KEY: 'sk-fake-000', ...extra };
  for (const k of ['CI', 'TRACEFORGE_RECORD', 'TRACEFORGE_UPSTREAM', 'TRACEFORGE_PROXY_URL', 'TRACEFORGE_CASSETTE', 'TRACEFORGE_FAULTS', 'OPENAI_BASE_URL', 'NODE_OPTIONS', 'VITEST', 'VITEST_WORKER_ID', 'VITEST_POOL_ID']) if (!(k in extra)) delete env[k];
  try {
    const { stdout, stderr } = await run(process.execPath, ['--test', 'app.test.mjs'], { cwd: WORK, env });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

describe('traceforge/node-test with node --test', () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    await rm(WORK, { recursive: true, force: true });
    await mkdir(WORK, { recursive: true });
    await writeFile(join(WORK, 'app.test.mjs'), SPEC);
    fake = await startAnyProviderFake();
  });
  afterAll(async () => {
    await fake?.close();
    await rm(WORK, { recursive: true, force: true });
  });

  it('records once, replays under CI with the upstream gone, fails a changed prompt with the miss', async () => {
    const rec = await nodeTest({ TRACEFORGE_RECORD: 'once', TRACEFORGE_UPSTREAM: fake.url });
    expect(rec.out).toMatch(/# pass 2/);
    expect(rec.code).toBe(0);
    expect(existsSync(join(WORK, '__cassettes__/app.test.yaml'))).toBe(true);
    await fake.close();
    const seen = fake.requests.length;
    const replay = await nodeTest({ CI: 'true' });
    expect(replay.out).toMatch(/# pass 2/);
    expect(replay.code).toBe(0);
    expect(fake.requests.length).toBe(seen);
    const changed = await nodeTest({ CI: 'true', PROMPT: 'bye' });
    expect(changed.code).not.toBe(0);
    // The test that swallowed the SDK's error fails too, from the after-each check.
    expect(changed.out).toMatch(/# fail 2/);
    expect(changed.out).toContain('matched no recording');
    // TAP quotes the error message, so its quotes may come escaped.
    expect(changed.out).toMatch(/recorded \\?"hi\\?", received \\?"bye\\?"/);
  }, 60_000);
});
