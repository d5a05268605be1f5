import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyCassette } from '../../src/cassette/codec.js';
import { writeCassette } from '../../src/store/cassette-file.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { startMain } from '../helpers/run-main.js';

/** Keep this thread (the in-process replay server's too) busy for `ms`, as a loaded machine would. */
function hog(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('traceforge replay on a busy machine', () => {
  it('says on stderr that the machine was too busy for wall-clock timing and points at the virtual clock', async () => {
    const trace = makeOpenAIStreamTrace({ text: 'one two three four five six seven eight nine ten eleven twelve', firstChunkLatencyMs: 2, gaps: Array(20).fill(5) });
    const path = join(await mkdtemp(join(tmpdir(), 'tf-busy-')), 'c.yaml');
    await writeCassette(path, { ...emptyCassette(), interactions: [trace] });
    const run = startMain(['replay', path, '--port', '0']);
    const [, url] = await run.waitFor(/on (http:\/\/127\.0\.0\.1:\d+)/);
    const res = await fetch(`${url}${trace.endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(trace.request) });
    // Every chunk falls due while the thread is held: each is written far past its time.
    hog(150);
    expect(await res.text()).toBe(trace.chunks!.map((c) => c.raw).join(''));
    run.interrupt();
    const r = await run.exited;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('too busy for wall-clock timing');
    expect(r.stderr).toContain("useCassette(path, { clock: 'virtual' })");
  });

  it('says nothing of the kind when the replay kept time', async () => {
    const trace = makeOpenAIStreamTrace({ text: 'a quiet one', firstChunkLatencyMs: 1, gaps: [0, 1, 1, 1] });
    const path = join(await mkdtemp(join(tmpdir(), 'tf-busy-')), 'c.yaml');
    await writeCassette(path, { ...emptyCassette(), interactions: [trace] });
    const run = startMain(['replay', path, '--port', '0', '--speed', '0']);
    const [, url] = await run.waitFor(/on (http:\/\/127\.0\.0\.1:\d+)/);
    await fetch(`${url}${trace.endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(trace.request) }).then((x) => x.text());
    run.interrupt();
    const r = await run.exited;
    expect(r.stderr).not.toContain('too busy');
  });
});
