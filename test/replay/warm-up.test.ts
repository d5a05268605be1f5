import dc from 'node:diagnostics_channel';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyCassette } from '../../src/cassette/codec.js';
import { busyMachineNote } from '../../src/replay/lateness.js';
import { startReplayServer } from '../../src/replay/replay-server.js';
import { warmUp } from '../../src/replay/warm-up.js';
import { writeCassette } from '../../src/store/cassette-file.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';

/** Requests Node's HTTP servers in this process have started handling (every server, not one). */
function countRequests(): { readonly n: number; stop(): void } {
  let n = 0;
  const onStart = () => void n++;
  dc.subscribe('http.server.request.start', onStart);
  return {
    get n() {
      return n;
    },
    stop: () => dc.unsubscribe('http.server.request.start', onStart),
  };
}

const post = (url: string, trace: ReturnType<typeof makeOpenAIStreamTrace>) =>
  fetch(`${url}${trace.endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(trace.request) }).then((r) => r.text());

describe('replay warm-up (the first call in a fresh process)', () => {
  it('replays one recording on a private server before startReplayServer resolves, leaving the real server untouched', async () => {
    const trace = makeOpenAIStreamTrace({ text: 'warm me up please', firstChunkLatencyMs: 3, gaps: [0, 1, 2, 1, 3, 1] });
    const path = join(await mkdtemp(join(tmpdir(), 'tf-warm-')), 'c.yaml');
    await writeCassette(path, { ...emptyCassette(), interactions: [trace] });
    const requests = countRequests();
    try {
      const replay = await startReplayServer({ cassette: path });
      try {
        // The warm-up's request was handled before the server said it was listening...
        expect(requests.n).toBe(1);
        // ...and it used nothing of the real server: no recording used up, no miss, no lateness.
        expect(replay.served).toEqual([]);
        expect(replay.misses).toEqual([]);
        expect(replay.lateness().count).toBe(0);
        expect(await post(replay.url, trace)).toBe(trace.chunks!.map((c) => c.raw).join(''));
        expect(replay.served).toEqual([0]);
        expect(replay.lateness().count).toBe(trace.chunks!.length);
        // Once per thread: a second server only plans its recordings.
        const again = await startReplayServer({ cassette: [trace] });
        await again.close();
        expect(requests.n).toBe(2);
      } finally {
        await replay.close();
      }
    } finally {
      requests.stop();
    }
  });

  it('plans every recording in memory, and does not warm up at speed 0', async () => {
    const traces = [1, 2, 3].map((seed) => makeOpenAIStreamTrace({ id: `t${seed}`, seed, text: `call ${seed}`, firstChunkLatencyMs: 1 }));
    const planned: unknown[] = [];
    const served: unknown[] = [];
    await warmUp({
      traces: [traces[0], undefined, traces[1], traces[2]],
      plan: (t) => {
        planned.push(t);
        return { status: 200, statusMessage: 'OK', headers: [], headersAt: 0, pieces: [], drop: false };
      },
      serve: async (ts) => {
        served.push(...ts);
        throw new Error('no server in this test');
      },
    });
    expect(planned.slice(0, 3)).toEqual(traces);
    // The first test in this file already warmed this thread's request path.
    expect(served).toEqual([]);

    const requests = countRequests();
    try {
      const instant = await startReplayServer({ cassette: traces, speed: 0 });
      await instant.close();
      expect(requests.n).toBe(0);
    } finally {
      requests.stop();
    }
  });
});

describe('busyMachineNote', () => {
  it('says the machine was too busy and points at the virtual clock when lateness p99 is over 5 ms', () => {
    const note = busyMachineNote({ count: 400, p50: 0.4, p99: 12.5, max: 31 });
    expect(note).toContain('too busy for wall-clock timing');
    expect(note).toContain("clock: 'virtual'");
    expect(note).toContain('p99 13 ms');
  });

  it('says nothing for a replay on time, or one that wrote nothing', () => {
    expect(busyMachineNote({ count: 400, p50: 0.02, p99: 0.4, max: 6 })).toBeUndefined();
    expect(busyMachineNote({ count: 0, p50: 0, p99: 0, max: 0 })).toBeUndefined();
    expect(busyMachineNote({ count: 10, p50: 1, p99: 2.5, max: 3 }, 2)).toBeDefined();
  });
});
