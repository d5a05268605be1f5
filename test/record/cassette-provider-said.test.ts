import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { notFromProvider } from '../../src/cassette/provider-said.js';
import { loadCassette } from '../../src/store/cassette-file.js';
import type { Outcome } from '../../src/trace/types.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { BIN, startCli } from './cli-process.js';
import { readTraces } from '../session-length/logged-upstream.js';

/** A port nothing listens on: bound, then closed. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('which outcomes are what the provider said', () => {
  it('the recorder\'s own answers and cuts are left out; complete calls and real upstream drops go in', () => {
    const said = (outcome: Outcome) => {
      const t = makeOpenAIStreamTrace({ id: 'o' });
      t.http.outcome = outcome;
      return notFromProvider(t) === undefined;
    };
    expect((['complete', 'upstream_aborted', 'client_aborted'] as Outcome[]).map(said)).toEqual([true, true, true]);
    expect((['upstream_unreachable', 'recorder_shutdown', 'recorder_refused'] as Outcome[]).map(said)).toEqual([false, false, false]);
  });
});

describe('the cassette holds only what the provider said', () => {
  it("a call the recorder answered itself (unreachable upstream) keeps its trace file but is not appended; the summary says so", async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-said-'));
    const run = startCli(cwd, ['record', '--upstream', `http://127.0.0.1:${await deadPort()}`, '--port', '0', '--cassette', 'fixtures/c.yaml']);
    const url = (await run.waitFor(/TraceForge recording (http:\/\/\S+)/))[1]!;
    const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', body: '{"model":"m"}' });
    expect(res.status).toBe(502);
    await res.text();
    await run.waitFor(/POST \/v1\/chat\/completions -> 502/);
    run.child.kill('SIGINT');
    expect((await run.exited).code).toBe(0);
    const traces = await readTraces(cwd);
    expect(traces.map((t) => t.http.outcome)).toEqual(['upstream_unreachable']);
    // Replayed in CI, this 502 would look like the provider's answer.
    const path = join(cwd, 'fixtures', 'c.yaml');
    expect(existsSync(path) ? (await loadCassette(path)).interactions : []).toEqual([]);
    expect(run.stdout).toContain("left out of the cassette (trace files only): 1 the upstream could not be reached (the 502 was the recorder's own)");
  }, 30_000);
});
