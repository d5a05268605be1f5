/**
 * A recording `useCassette` that cannot write its cassette fails, with the path and the reason on one
 * line: at open when it can tell then (a name too long for the lock beside it, a read-only or full disk),
 * at close for what failed in between (the disk filled up during the run).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cassetteHooks } from '../../src/cassette-hooks.js';
import { TraceForgeError } from '../../src/errors.js';
import type { CassetteSessionOptions } from '../../src/session.js';
import { startAnyProviderFake } from '../intercept/any-provider.js';
import type { FakeUpstream } from '../fakes/index.js';
import { SMALL_DISK_SKIP, mountSmallDisk } from '../helpers/full-disk.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** 254 bytes with `.mjs`: its cassette, `<name>.test.yaml`, is 255, the most a name may be, so its lock's name is too long. */
const LONG_FILE = `${'x'.repeat(245)}.test.mjs`;

function expectOneLine(e: unknown, code: string, ...parts: string[]): void {
  expect(e, 'expected an error').toBeInstanceOf(TraceForgeError);
  const err = e as TraceForgeError;
  expect(err.code).toBe(code);
  expect(err.message).not.toMatch(/[\r\n]/);
  for (const p of parts) expect(err.message).toContain(p);
}

async function ask(url: string, q: string): Promise<number> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: q }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

const disk = await mountSmallDisk();

describe('useCassette in a record mode that cannot write', () => {
  let fake: FakeUpstream;
  let dir: string;
  let options: CassetteSessionOptions;
  beforeAll(async () => {
    fake = await startAnyProviderFake(0);
    dir = await mkdtemp(join(tmpdir(), 'tf-write-fail-'));
    options = { mode: 'once', upstream: fake.url, intercept: false, traces: false, missing: 'empty', env: { CI: '' } };
  });
  afterAll(async () => {
    await fake?.close();
    await disk?.unmount();
    await rm(dir, { recursive: true, force: true });
  });

  it('a cassette named after a 254-byte test file fails at open, naming it and why, and leaves nothing behind', async () => {
    const testFile = join(dir, 'long', LONG_FILE);
    const cassette = join(dir, 'long', '__cassettes__', `${'x'.repeat(245)}.test.yaml`);
    const e = await cassetteHooks(undefined, options, () => testFile)
      .open()
      .catch((x: unknown) => x);
    expectOneLine(e, 'E_PATH', `cassette ${cassette.slice(0, 100)}`, 'is too long a name for the file system (its lock beside it adds `.lock.break`');
    expect(existsSync(join(dir, 'long'))).toBe(false);
  });

  describe.skipIf(!disk)(`on a small disk (${disk ? 'tmpfs' : SMALL_DISK_SKIP})`, () => {
    it('a read-only one fails at open', async () => {
      const cassette = join(disk!.dir, 'ro', 'chat.yaml');
      await disk!.readOnly(true);
      try {
        const e = await cassetteHooks(cassette, options, () => 'x.test.ts').open().catch((x: unknown) => x);
        expectOneLine(e, 'E_PATH', `cassette ${cassette} is on a read-only file system`);
      } finally {
        await disk!.readOnly(false);
      }
    });

    it('a full one fails at open, and nothing is left on it', async () => {
      await disk!.fill();
      try {
        const cassette = join(disk!.dir, 'new', 'chat.yaml');
        const e = await cassetteHooks(cassette, options, () => 'x.test.ts').open().catch((x: unknown) => x);
        expectOneLine(e, 'E_PATH', `cassette ${cassette} cannot be written: the disk is full`);
        expect((await readdir(disk!.dir)).sort()).toEqual(['filler']);
      } finally {
        await disk!.free();
      }
    });

    it('filling up during the run fails the teardown with the calls not saved, each path and the reason', async () => {
      const cassette = join(disk!.dir, 'run', 'chat.yaml');
      const traces = join(disk!.dir, 'traces');
      const hooks = cassetteHooks(cassette, { ...options, traces }, () => 'x.test.ts');
      await hooks.open();
      await disk!.fill();
      try {
        expect(await ask(hooks.handle.url, 'one')).toBe(200);
        expect(await ask(hooks.handle.url, 'two')).toBe(200);
        hooks.check();
        const e = await hooks.close().catch((x: unknown) => x);
        expectOneLine(e, 'E_PATH', 'could not save 2 recorded call(s) (the first: POST ', `cassette ${cassette} cannot be written: the disk is full`, `${traces} is on a full disk`);
      } finally {
        await disk!.free();
      }
    });
  });
});

describe('under node --test', () => {
  const WORK = join(ROOT, '.tmp', `write-fail-${process.pid}`);
  afterAll(() => rm(WORK, { recursive: true, force: true }));

  it('a test file whose cassette cannot be written fails the run with the path and the reason', async () => {
    await mkdir(WORK, { recursive: true });
    await writeFile(
      join(WORK, LONG_FILE),
      `import { test } from 'node:test';\nimport { useCassette } from 'traceforge/node-test';\nuseCassette({ mode: 'once', upstream: 'http://127.0.0.1:9', traces: false });\ntest('calls', () => {});\n`,
    );
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of ['CI', 'TRACEFORGE_RECORD', 'TRACEFORGE_PROXY_URL', 'TRACEFORGE_CASSETTE', 'NODE_OPTIONS', 'VITEST', 'VITEST_WORKER_ID', 'VITEST_POOL_ID']) delete env[k];
    const out = await promisify(execFile)(process.execPath, ['--test', LONG_FILE], { cwd: WORK, env }).then(
      () => ({ code: 0, text: '' }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, text: e.stdout + e.stderr }),
    );
    expect(out.code).not.toBe(0);
    expect(out.text).toContain('is too long a name for the file system');
    expect(out.text).toContain('__cassettes__/xxxxxxxx');
  }, 30_000);
});
