/**
 * Cassettes per test file with no bookkeeping: `setupFiles: ['traceforge/vitest/setup']` (the package
 * export, resolved from dist/ as a user's project resolves it) names each file's cassette after it,
 * records with TRACEFORGE_RECORD=once, replays under CI; and the messages a user meets on the way.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnyProviderFake } from './any-provider.js';
import type { FakeUpstream } from '../fakes/index.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const WORK = join(ROOT, '.tmp', `per-file-${process.pid}`);

const FILES: Record<string, string> = {
  'vitest.config.mjs': "export default { test: { include: ['**/*.spec.ts'], setupFiles: ['traceforge/vitest/setup'] } };\n",
  'a.spec.ts': `
import OpenAI from 'openai';
import { expect, it } from 'vitest';
const openai = new OpenAI();
it('asks openai', async () => {
  const r = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'from a' }] });
  expect(r.choices[0].message.content).toBe('openai says from a');
});
`,
  'sub/b.spec.ts': `
import Anthropic from '@anthropic-ai/sdk';
import { expect, it } from 'vitest';
const anthropic = new Anthropic();
it('asks anthropic', async () => {
  expect(await anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'from b' }] }).finalText()).toBe('anthropic says from b');
});
`,
  'c.spec.ts': `
import { expect, it } from 'vitest';
it('makes no calls', () => expect(1 + 1).toBe(2));
`,
};

// Run one at a time, by name: each shows one message.
const ALONE: Record<string, string> = {
  'inside.only.ts': `
import { it } from 'vitest';
import { useCassette } from 'traceforge/vitest';
it('opens a cassette in the test', () => { useCassette('fixtures/x.yaml'); });
`,
  'typo.only.ts': `
import { it } from 'vitest';
import { useCassette } from 'traceforge/vitest';
useCassette('fixtures/al.yaml');
it('never runs', () => {});
`,
};

async function vitest(env: NodeJS.ProcessEnv, config?: string): Promise<{ code: number; out: string }> {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', OPENAI_API_KEY: 'sk-fake-000', ANTHROPIC_API_KEY: 'sk-ant-fake-000' };
  for (const k of ['CI', 'TRACEFORGE_RECORD', 'TRACEFORGE_UPSTREAM', 'TRACEFORGE_PROXY_URL', 'TRACEFORGE_CASSETTE', 'TRACEFORGE_FAULTS', 'OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'VITEST', 'VITEST_WORKER_ID', 'VITEST_POOL_ID']) delete base[k];
  const args = [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--root', WORK, ...(config ? ['--config', config] : [])];
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd: WORK, env: { ...base, ...env } });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

describe('traceforge/vitest/setup: a cassette per test file', () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    await rm(WORK, { recursive: true, force: true });
    for (const [name, text] of Object.entries({ ...FILES, ...ALONE })) {
      await mkdir(join(WORK, name, '..'), { recursive: true });
      await writeFile(join(WORK, name), text);
    }
    fake = await startAnyProviderFake();
  });
  afterAll(async () => {
    await fake?.close();
    await rm(WORK, { recursive: true, force: true });
  });

  it('records each file into __cassettes__/<file>.yaml next to it, replays under CI, and says which cassette is missing', async () => {
    const rec = await vitest({ TRACEFORGE_RECORD: 'once', TRACEFORGE_UPSTREAM: fake.url });
    expect(rec.out).toContain('3 passed');
    expect(rec.code).toBe(0);
    expect(existsSync(join(WORK, '__cassettes__/a.spec.yaml'))).toBe(true);
    expect(existsSync(join(WORK, 'sub/__cassettes__/b.spec.yaml'))).toBe(true);
    expect(existsSync(join(WORK, '__cassettes__/c.spec.yaml'))).toBe(false);
    expect((await readdir(join(WORK, '.ai-tests/traces'))).filter((f) => f.endsWith('.json'))).toHaveLength(2);

    await fake.close();
    const replay = await vitest({ CI: 'true' });
    expect(replay.out).toContain('3 passed');
    expect(replay.code).toBe(0);

    await rm(join(WORK, '__cassettes__/a.spec.yaml'));
    const missing = await vitest({ CI: 'true' });
    expect(missing.code).not.toBe(0);
    expect(missing.out).toContain('1 failed');
    expect(missing.out).toMatch(/cassette \S*__cassettes__\/a\.spec\.yaml does not exist/);
    expect(missing.out).toContain('record mode is "none" (CI is set)');
    expect(missing.out).toContain('TRACEFORGE_RECORD=once');
  }, 60_000);

  it('useCassette inside a test says where it belongs; a typo in a path says the file does not exist', async () => {
    await writeFile(join(WORK, 'alone.config.mjs'), "export default { test: { include: [process.env.ONLY] } };\n");
    const inside = await vitest({ ONLY: 'inside.only.ts' }, 'alone.config.mjs');
    expect(inside.code).not.toBe(0);
    expect(inside.out).toContain('was called inside a test: it belongs at the top level of the test file or inside describe()');
    expect(inside.out).not.toContain('not at module load');

    const typo = await vitest({ ONLY: 'typo.only.ts', CI: 'true' }, 'alone.config.mjs');
    expect(typo.code).not.toBe(0);
    expect(typo.out).toContain(`cassette fixtures/al.yaml does not exist (looked for ${join(WORK, 'fixtures/al.yaml')})`);
    const typoNone = await vitest({ ONLY: 'typo.only.ts', TRACEFORGE_RECORD: 'none' }, 'alone.config.mjs');
    expect(typoNone.out).toContain('record mode is "none" (TRACEFORGE_RECORD)');
    // Outside CI, mode once records a new cassette only in a directory that exists: a typo there goes nowhere.
    const typoLocal = await vitest({ ONLY: 'typo.only.ts' }, 'alone.config.mjs');
    expect(typoLocal.code).not.toBe(0);
    expect(typoLocal.out).toContain(`cassette fixtures/al.yaml does not exist and neither does its directory fixtures (${join(WORK, 'fixtures')}): not recording into it`);
    // In one that exists it records, and says so (never "needs an upstream").
    await mkdir(join(WORK, 'fixtures'), { recursive: true });
    const newLocal = await vitest({ ONLY: 'typo.only.ts' }, 'alone.config.mjs');
    expect(newLocal.code).toBe(0);
    expect(newLocal.out).toContain('cassette fixtures/al.yaml does not exist yet: record mode "once" records the calls made into it, sent to the hosts the app calls');
  }, 60_000);
});
