/**
 * Issue 21 item 8: a recorder killed with SIGKILL loses no call whose response the app had read to its
 * end. Three lanes of back-to-back 300-chunk streams (a pace the recorder's writer cannot keep up with),
 * `traceforge record --cassette` killed mid-run; every call a client finished must then be in the
 * cassette and have its trace file.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mono } from '../../src/bench/client.js';
import { runLanes, startLagUpstream } from '../../src/bench/record-lag.js';
import { indexCassette } from '../../src/store/cassette-index.js';
import { startCli } from './cli-process.js';

let upstream: Awaited<ReturnType<typeof startLagUpstream>>;
beforeAll(async () => {
  upstream = await startLagUpstream(300, 0);
});
afterAll(async () => {
  await upstream.close();
});

it('kill -9 mid-run: every call a client had read to its end is in the cassette and has a trace file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tf-kill-'));
  try {
    const cli = startCli(dir, ['record', '--upstream', upstream.url, '--cassette', 'c.yaml', '--port', '0']);
    const url = (await cli.waitFor(/recording (http:\/\/\S+)/))[1]!;
    const finished = new Map<string, number>();
    const lanes = runLanes(url, 3, mono() + 30_000, finished);
    // A dozen calls: the writer was seconds behind at this pace, so it had written none of them.
    const until = mono() + 5_000;
    while (finished.size < 12 && mono() < until) await new Promise((r) => setTimeout(r, 5));
    cli.child.kill('SIGKILL');
    const { failed } = await lanes;
    await cli.exited;
    expect(failed).toBe(3);
    expect(finished.size).toBeGreaterThanOrEqual(3);

    // As replay reads it: each interaction's match key (its request), a cut-off last document skipped.
    const { interactions } = await indexCassette(join(dir, 'c.yaml'), { eagerBytes: 0 });
    const inCassette = new Set(interactions.map((k) => (k.body as { lag_id?: string } | null)?.lag_id));
    const tracesDir = join(dir, '.ai-tests', 'traces');
    const traceFiles = (await readdir(tracesDir)).filter((f) => f.endsWith('.json'));
    const traced = new Set((await Promise.all(traceFiles.map((f) => readFile(join(tracesDir, f), 'utf8')))).map((text) => /lag-\d+-\d+/.exec(text)?.[0]));
    const lost = [...finished.keys()].filter((id) => !inCassette.has(id));
    const untraced = [...finished.keys()].filter((id) => !traced.has(id));
    expect({ lost, untraced }).toEqual({ lost: [], untraced: [] });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 30_000);
