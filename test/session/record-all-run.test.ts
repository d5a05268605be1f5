/**
 * Record mode `all` with one cassette shared by several test files, under the real `node --test` (each file
 * in a process of its own, three at a time): the run ends with every call of every file, once each, and
 * the next run replaces what the first one recorded.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCassette } from '../../src/store/cassette-file.js';
import { startAnyProviderFake } from '../intercept/any-provider.js';
import type { FakeUpstream } from '../fakes/index.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const WORK = join(ROOT, '.tmp', `record-all-run-${process.pid}`);
const FILES = ['a', 'b', 'c'];

const spec = (name: string): string => `
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useCassette } from 'traceforge/node-test';

const cassette = useCassette('shared.yaml', { mode: 'all', intercept: false, traces: false });
for (const i of [1, 2]) {
  test('call ' + i, async () => {
    const q = '${name} ' + i + ' ' + process.env.ROUND;
    const res = await fetch(cassette.url + '/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: q }] }),
    });
    assert.equal((await res.json()).choices[0].message.content, 'openai says ' + q);
  });
}
`;

async function nodeTest(files: string[], extra: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of ['CI', 'TRACEFORGE_RECORD', 'TRACEFORGE_PROXY_URL', 'TRACEFORGE_CASSETTE', 'TRACEFORGE_FAULTS', 'TRACEFORGE_RUN_ID', 'NODE_OPTIONS', 'VITEST', 'VITEST_WORKER_ID', 'VITEST_POOL_ID']) if (!(k in extra)) delete env[k];
  try {
    const { stdout, stderr } = await run(process.execPath, ['--test', '--test-concurrency=3', ...files.map((f) => `${f}.test.mjs`)], { cwd: WORK, env });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

const asked = async (): Promise<string[]> =>
  (await loadCassette(join(WORK, 'shared.yaml'))).interactions.map((t) => (t.request as { messages: Array<{ content: string }> }).messages[0]!.content).sort();

describe('record mode all, one cassette, several test files', () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    await rm(WORK, { recursive: true, force: true });
    await mkdir(WORK, { recursive: true });
    for (const f of FILES) await writeFile(join(WORK, `${f}.test.mjs`), spec(f));
    fake = await startAnyProviderFake(0);
  });
  afterAll(async () => {
    await fake?.close();
    await rm(WORK, { recursive: true, force: true });
  });

  it('keeps every call of the run once, and the next run replaces them', async () => {
    const expected = (files: string[], round: string): string[] => files.flatMap((f) => [1, 2].map((i) => `${f} ${i} ${round}`)).sort();
    const first = await nodeTest(FILES, { ROUND: 'r1', TRACEFORGE_UPSTREAM: fake.url });
    expect(first.code, first.out).toBe(0);
    expect(await asked()).toEqual(expected(FILES, 'r1'));
    // Two of the three files: what the first run recorded goes, both files' calls stay.
    const second = await nodeTest(['a', 'b'], { ROUND: 'r2', TRACEFORGE_UPSTREAM: fake.url });
    expect(second.code, second.out).toBe(0);
    expect(await asked()).toEqual(expected(['a', 'b'], 'r2'));
  }, 60_000);
});
