/**
 * Issue 6, concurrent writers: several `traceforge record` processes, each with its own app, append
 * to one cassette at the same time. Nothing may be lost or corrupted, and a lock left by a writer
 * that died is broken instead of blocking everyone.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendToCassette, loadCassette } from '../../src/store/cassette-file.js';
import { withFileLock } from '../../src/store/file-lock.js';
import { TraceForgeError } from '../../src/errors.js';
import { openaiChatStream, startFakeUpstream, type FakeUpstream } from '../fakes/index.js';
import { BIN, startCli } from '../record/cli-process.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';

const APP = join(import.meta.dirname, 'fixtures', 'chat-app.mjs');

/** The pid of a process that has exited: nothing holds it any more. */
function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', '']);
    child.on('exit', () => resolve(child.pid!));
  });
}

describe('several record processes, one cassette', () => {
  let upstream: FakeUpstream;
  beforeAll(async () => {
    upstream = await startFakeUpstream(openaiChatStream({ text: 'an answer in a few chunks', gaps: 1 }));
  });
  afterAll(async () => {
    await upstream.close();
  });

  it('keep every interaction of every process, in each process order, and leave no lock or temp file', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-rec-race-'));
    const PROCESSES = 4;
    const CALLS = 3;
    const runs = Array.from({ length: PROCESSES }, (_, p) =>
      startCli(cwd, ['record', '--upstream', upstream.url, '--cassette', 'fixtures/shared.yaml', '--', process.execPath, APP, `p${p}`, String(CALLS)], {
        OPENAI_API_KEY: 'sk-race-test-key-00000000000000000',
      }),
    );
    const exits = await Promise.all(runs.map((r) => r.exited));
    exits.forEach((e, i) => expect(e.code, runs[i]!.stderr).toBe(0));

    const cassette = await loadCassette(join(cwd, 'fixtures', 'shared.yaml'));
    const asked = cassette.interactions.map((t) => (t.request as { messages: Array<{ content: string }> }).messages[0]!.content);
    expect(asked).toHaveLength(PROCESSES * CALLS);
    for (let p = 0; p < PROCESSES; p++) {
      expect(asked.filter((q) => q.startsWith(`p${p} `))).toEqual(Array.from({ length: CALLS }, (_, i) => `p${p} question ${i}`));
    }
    for (const t of cassette.interactions) expect(t.total_chunks).toBeGreaterThan(3);
    expect((await readdir(join(cwd, 'fixtures'))).sort()).toEqual(['shared.yaml']);
  });
});

describe('the cassette lock', () => {
  it('is broken when the process that holds it is gone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tf-lock-'));
    const path = join(dir, 'c.yaml');
    await writeFile(`${path}.lock`, String(await deadPid()));
    await appendToCassette(path, [makeOpenAIStreamTrace({ id: 'after-crash' })]);
    expect((await loadCassette(path)).interactions.map((t) => t.id)).toEqual(['after-crash']);
    expect(await readdir(dir)).toEqual(['c.yaml']);
  });

  it('left by a dead process, is broken once while many writers wait on it: nothing is lost', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tf-lock-'));
    const path = join(dir, 'c.yaml');
    await writeFile(`${path}.lock`, String(await deadPid()));
    const ids = Array.from({ length: 12 }, (_, i) => `w${i}`);
    await Promise.all(ids.map((id) => appendToCassette(path, [makeOpenAIStreamTrace({ id })])));
    expect((await loadCassette(path)).interactions.map((t) => t.id).sort()).toEqual([...ids].sort());
    expect(await readdir(dir)).toEqual(['c.yaml']);
  });

  it('held by a live process, times out with one line naming the lock file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tf-lock-'));
    const path = join(dir, 'c.yaml');
    await writeFile(`${path}.lock`, String(process.ppid));
    const err = await withFileLock(path, async () => 'entered', 300).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceForgeError);
    expect((err as Error).message).toBe(`${path} is locked by another process (${path}.lock); if no TraceForge is running, delete the lock file`);
  });
});
