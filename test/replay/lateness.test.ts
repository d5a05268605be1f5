import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLateness } from '../../src/replay/lateness.js';
import { startReplayServer } from '../../src/replay/replay-server.js';
import { openCassette } from '../../src/session.js';
import { writeCassette } from '../../src/store/cassette-file.js';
import { emptyCassette } from '../../src/cassette/codec.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';

/** Exact nearest-rank percentile, to hold the histogram to. */
function exact(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(q * s.length) - 1)]!;
}

describe('replay lateness histogram', () => {
  it('p50 and p99 are within one 10 µs bucket above the exact value; max and count are exact', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 150, noNaN: true }), { minLength: 1, maxLength: 400 }), (xs) => {
        const l = createLateness();
        xs.forEach((x) => l.add(x));
        const s = l.summary();
        expect(s.count).toBe(xs.length);
        expect(s.max).toBe(Math.max(...xs));
        for (const [q, got] of [[0.5, s.p50], [0.99, s.p99]] as const) {
          const want = exact(xs, q);
          expect(got).toBeGreaterThanOrEqual(want - 1e-9);
          expect(got).toBeLessThanOrEqual(Math.min(s.max, want + 0.01) + 1e-9);
        }
      }),
    );
  });

  it('counts early writes as on time, and reports nothing before any write', () => {
    const l = createLateness();
    expect(l.summary()).toEqual({ count: 0, p50: 0, p99: 0, max: 0 });
    l.add(-3);
    expect(l.summary()).toEqual({ count: 1, p50: 0, p99: 0, max: 0 });
  });

  it('openCassette passes the replay server lateness through', async () => {
    const trace = makeOpenAIStreamTrace({ text: 'three small words', firstChunkLatencyMs: 1, gaps: [0, 1, 1, 1, 1, 1, 1] });
    const path = join(await mkdtemp(join(tmpdir(), 'tf-late-')), 'c.yaml');
    await writeCassette(path, { ...emptyCassette(), interactions: [trace] });
    const session = await openCassette(path, { mode: 'none', speed: 1 });
    try {
      const res = await fetch(`${session.url}${trace.endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(trace.request) });
      await res.text();
      expect(session.lateness().count).toBe(trace.chunks!.length);
    } finally {
      await session.close();
    }
  });

  it('the replay server reports one entry per piece played at speed 1, none at speed 0', async () => {
    const trace = makeOpenAIStreamTrace({ text: 'a few words to replay here', firstChunkLatencyMs: 2, gaps: [0, 1, 1, 1, 1, 1, 1, 1, 1] });
    for (const [speed, expected] of [[1, trace.chunks!.length], [0, 0]] as const) {
      const replay = await startReplayServer({ cassette: [trace], speed });
      try {
        const res = await fetch(`${replay.url}${trace.endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(trace.request) });
        await res.text();
        expect(replay.lateness().count).toBe(expected);
      } finally {
        await replay.close();
      }
    }
  });
});
