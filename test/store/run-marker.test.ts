/**
 * Record mode `all` replaces a cassette once per test run: which run a process belongs to (the runner's
 * process, across its worker processes and threads), and what a session's first write does with it.
 */
import { execFile, fork } from 'node:child_process';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { loadCassette, writeForRun } from '../../src/store/cassette-file.js';
import { testRunId } from '../../src/test-run.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';

const DIST = resolve(import.meta.dirname, '../../dist/test-run.js');
const PRINT = `import { testRunId } from ${JSON.stringify(DIST)};
const id = testRunId();
if (process.send) process.send(id, () => process.disconnect());
else process.stdout.write(id);
`;
const CLEAN_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['TRACEFORGE_RUN_ID', 'NODE_TEST_CONTEXT'].includes(k)));

describe('testRunId', () => {
  it('is the parent for a process started with an IPC channel or by node --test, the process itself otherwise and for its threads', async () => {
    const script = join(await mkdtemp(join(tmpdir(), 'tf-run-id-')), 'print.mjs');
    await writeFile(script, PRINT);
    const forked = await new Promise<string>((done, fail) => {
      const child = fork(script, [], { env: CLEAN_ENV });
      child.once('message', (m) => done(String(m)));
      child.once('error', fail);
      child.once('exit', (code) => fail(new Error(`the child exited (${code}) without a message`)));
    });
    expect(forked).toBe(`pid:${process.pid}`);
    const run = promisify(execFile);
    const nodeTestChild = await run(process.execPath, [script], { env: { ...CLEAN_ENV, NODE_TEST_CONTEXT: 'child-v8' } });
    expect(nodeTestChild.stdout).toBe(`pid:${process.pid}`);
    const alone = execFile(process.execPath, [script], { env: CLEAN_ENV });
    const own = await new Promise<string>((done) => {
      let out = '';
      alone.stdout!.on('data', (d) => (out += d));
      alone.on('close', () => done(out));
    });
    expect(own).toBe(`pid:${alone.pid}`);
    const inThread = await new Promise<string>((done, fail) => {
      const w = new Worker(`import(${JSON.stringify(DIST)}).then((m) => require('node:worker_threads').parentPort.postMessage(m.testRunId()))`, { eval: true, env: CLEAN_ENV });
      w.once('message', (m) => done(String(m)));
      w.once('error', fail);
    });
    expect(inThread).toBe(`pid:${process.pid}`);
    expect(testRunId({ TRACEFORGE_RUN_ID: 'ci-4711' })).toBe('id:ci-4711');
  });
});

describe('a session’s first write in record mode all', () => {
  const ids = async (path: string): Promise<string[]> => (await loadCassette(path)).interactions.map((t) => t.id);
  const write = (path: string, id: string, run: string, by: string): Promise<void> => writeForRun(path, [makeOpenAIStreamTrace({ id })], { run, by });

  it('replaces the cassette once per run: later files of the run append, a file seen again in the run or another run replaces', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tf-run-'));
    const path = join(dir, 'shared.yaml');
    await write(path, 'old', 'pid:1', 'a.test.ts#1');
    await write(path, 'a1', 'pid:2', 'a.test.ts#1');
    expect(await ids(path)).toEqual(['a1']);
    await write(path, 'b1', 'pid:2', 'b.test.ts#1');
    await write(path, 'b2', 'pid:2', 'b.test.ts#2');
    expect(await ids(path)).toEqual(['a1', 'b1', 'b2']);
    // The same file again under the same runner process: a rerun in watch mode.
    await write(path, 'a1-rerun', 'pid:2', 'a.test.ts#1');
    expect(await ids(path)).toEqual(['a1-rerun']);
    await write(path, 'next', 'pid:3', 'b.test.ts#1');
    expect(await ids(path)).toEqual(['next']);
    expect(await readdir(dir)).toEqual(['shared.yaml']);
  });
});
