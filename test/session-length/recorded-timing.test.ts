import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCassette } from '../../src/store/cassette-file.js';
import { BIN, startCli } from '../record/cli-process.js';
import { drain, readTraces, startLoggedUpstream, type LoggedUpstream } from './logged-upstream.js';

const REQUEST = { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'count' }] };


describe('recorded timing stays true as the cassette grows (traceforge record --cassette)', () => {
  let upstream: LoggedUpstream;
  beforeAll(async () => {
    upstream = await startLoggedUpstream({ chunks: 200, gapMs: 2, firstByteMs: 40 });
  });
  afterAll(async () => {
    await upstream.close();
  });

  it("the 10th sequential 200-chunk call's TTFB is within 30 ms of the upstream's own log", async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-session-'));
    const run = startCli(cwd, ['record', '--upstream', upstream.url, '--port', '0', '--cassette', 'fixtures/s.yaml']);
    const url = (await run.waitFor(/TraceForge recording (http:\/\/\S+)/))[1]!;
    const first = upstream.log.length;
    const cassette = join(cwd, 'fixtures', 's.yaml');
    const onDisk: number[] = [];
    for (let i = 0; i < 10; i++) {
      await drain(`${url}/v1/chat/completions`, REQUEST);
      // Each finished call reaches disk, trace file and cassette entry, while the recorder keeps running.
      const ended = performance.now();
      const deadline = ended + 5000;
      while (performance.now() < deadline) {
        const entries = existsSync(cassette) ? (await readFile(cassette, 'utf8')).match(/^\.\.\.$/gm)?.length ?? 0 : 0;
        if (entries === i + 1 && (await readTraces(cwd)).length === i + 1) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      onDisk.push(performance.now() - ended);
    }
    // The bench measures this against 100 ms; here a loose bound a busy CI machine keeps (the old recorder took seconds by the 10th call).
    expect(Math.max(...onDisk), `ms from each call's end to its trace and cassette entry on disk: ${onDisk.map((t) => t.toFixed(0)).join(' ')}`).toBeLessThan(1000);
    run.child.kill('SIGINT');
    expect((await run.exited).code).toBe(0);
    const recorded = await readTraces(cwd);
    expect(recorded).toHaveLength(10);
    expect((await loadCassette(join(cwd, 'fixtures', 's.yaml'))).interactions).toHaveLength(10);
    const truth = upstream.log.slice(first);
    const errors = recorded.map((t, i) => {
      const log = truth[i]!;
      const ttfb = log.writes[0]! - log.arrived;
      const deltas = log.writes.map((w, k) => (k === 0 ? 0 : w - log.writes[k - 1]!));
      const deltaErr = t.chunks!.map((c, k) => Math.abs(c.delta_ms - deltas[k]!)).sort((a, b) => a - b);
      return { ttfb: Math.abs(t.first_chunk_latency_ms! - ttfb), p99: deltaErr[Math.floor(deltaErr.length * 0.99)]!, chunks: t.total_chunks };
    });
    expect(errors.every((e) => e.chunks === 201)).toBe(true);
    // The cassette rewrite on the stamping loop put the 10th call's TTFB off by 100+ ms; 30 ms leaves room for a busy CI machine.
    expect(errors[9]!.ttfb).toBeLessThan(30);
    expect(Math.max(...errors.map((e) => e.p99))).toBeLessThan(30);
  }, 60_000);
});
