import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCassette } from '../../src/store/cassette-file.js';
import { BIN, startCli } from '../record/cli-process.js';
import { drain, readTraces, startLoggedUpstream, type LoggedUpstream } from './logged-upstream.js';

const REQUEST = { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'count' }] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


describe('Ctrl-C twice never loses a finished call (traceforge record --cassette)', () => {
  let quick: LoggedUpstream;
  beforeAll(async () => {
    quick = await startLoggedUpstream({ chunks: 50, gapMs: 2 });
  });
  afterAll(async () => {
    await quick.close();
  });

  it('a burst of 50 calls, then two SIGINTs 1 s apart: 50 traces and 50 cassette entries', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-sig-'));
    const run = startCli(cwd, ['record', '--upstream', quick.url, '--port', '0', '--cassette', 'fixtures/burst.yaml']);
    const url = (await run.waitFor(/TraceForge recording (http:\/\/\S+)/))[1]!;
    await Promise.all(Array.from({ length: 50 }, () => drain(`${url}/v1/chat/completions`, REQUEST)));
    run.child.kill('SIGINT');
    await sleep(1000);
    run.child.kill('SIGINT');
    const { code } = await run.exited;
    expect(code).toBe(0);
    expect(await readTraces(cwd)).toHaveLength(50);
    expect((await loadCassette(join(cwd, 'fixtures', 'burst.yaml'))).interactions).toHaveLength(50);
    expect(run.stderr + run.stdout).toContain('stopped: 50 call(s) recorded');
  }, 60_000);

  it('the second SIGINT cuts only the calls still in flight, saved as partial trace files with outcome recorder_shutdown, not cassette entries', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-sig-cut-'));
    const run = startCli(cwd, ['record', '--upstream', quick.url, '--port', '0', '--cassette', 'fixtures/cut.yaml']);
    const url = (await run.waitFor(/TraceForge recording (http:\/\/\S+)/))[1]!;
    await Promise.all(Array.from({ length: 20 }, () => drain(`${url}/v1/chat/completions`, REQUEST)));
    // Five calls whose upstream sends ten frames (and [DONE]) then keeps the response open: in flight when Ctrl-C comes.
    const arrived = quick.log.length;
    for (let i = 0; i < 5; i++) {
      void fetch(`${url}/v1/chat/completions?chunks=10&hold=60000`, { method: 'POST', body: JSON.stringify(REQUEST) })
        .then((r) => r.arrayBuffer())
        .catch(() => undefined);
    }
    while (quick.log.length < arrived + 5 || quick.log.slice(arrived).some((l) => l.writes.length < 11)) await sleep(10);
    run.child.kill('SIGINT');
    await run.waitFor(/stopping: waiting for calls in flight/);
    await sleep(1000);
    run.child.kill('SIGINT');
    const { code } = await run.exited;
    expect(code).toBe(0);
    const all = await readTraces(cwd);
    expect(all).toHaveLength(25);
    const cut = all.filter((t) => t.http.outcome === 'recorder_shutdown');
    expect(cut).toHaveLength(5);
    for (const t of cut) {
      expect(t.total_chunks).toBe(11);
      expect(t.http.error).toMatch(/recorder was stopped/);
    }
    // The cut calls keep their trace files but stay out of the cassette: the provider never ended them that way.
    expect((await loadCassette(join(cwd, 'fixtures', 'cut.yaml'))).interactions).toHaveLength(20);
    expect(run.stderr + run.stdout).toContain("left out of the cassette (trace files only): 5 cut by the recorder's shutdown");
  }, 60_000);
});
