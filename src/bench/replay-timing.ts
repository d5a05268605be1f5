import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jitteredGap, seededRandom } from '../demo/simulated-upstream.js';
import { percentile, timedPost } from '../demo/timed-client.js';
import { startRecorder } from '../record/recorder.js';
import { planPlayback } from '../replay/plan.js';
import { startReplayServer } from '../replay/replay-server.js';
import { sleep, waitUntil } from '../replay/scheduler.js';
import type { Trace } from '../trace/types.js';

/**
 * Issue-2 figures: replay timing error and drift next to a chained-setTimeout replayer, the
 * recorder's added latency next to a direct connection, and 100 concurrent replays.
 */
const CHUNKS = 600;

function frames(): { gaps: number[]; bodies: string[] } {
  const rand = seededRandom(2026);
  const gaps = Array.from({ length: CHUNKS }, (_, i) => (i === 0 ? 0 : jitteredGap(rand)));
  const bodies = gaps.map((_, i) => `data: {"choices":[{"index":0,"delta":{"content":" tok${i}"}}]}\n\n`);
  bodies.push('data: [DONE]\n\n');
  gaps.push(1);
  return { gaps, bodies };
}

/** An upstream that writes each frame at its absolute offset; `naive` chains relative sleeps instead. */
async function upstream(mode: 'absolute' | 'naive'): Promise<Server> {
  const { gaps, bodies } = frames();
  const server = createServer({ noDelay: true }, (req, res) => {
    req.resume();
    req.on('end', async () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      const start = performance.now() + 20;
      let at = 20;
      for (let i = 0; i < bodies.length; i++) {
        at += gaps[i]!;
        if (mode === 'absolute') await waitUntil(start - 20 + at);
        else await sleep(i === 0 ? 20 : gaps[i]!);
        res.write(bodies[i]!);
      }
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return server;
}

const url = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

function errorsOf(got: number[], planned: number[]) {
  const rel = got.map((t, i) => t - got[0]! - (planned[i]! - planned[0]!));
  const abs = rel.map(Math.abs).sort((a, b) => a - b);
  return { p50: percentile(abs, 50), p99: percentile(abs, 99), max: abs.at(-1)!, drift: rel.at(-1)! };
}

const row = (name: string, e: { p50: number; p99: number; max: number; drift: number }) =>
  `  ${name.padEnd(34)} p50 ${e.p50.toFixed(3).padStart(7)} ms   p99 ${e.p99.toFixed(3).padStart(7)} ms   max ${e.max.toFixed(3).padStart(7)} ms   drift ${e.drift.toFixed(3).padStart(8)} ms`;

export async function benchReplayTiming(): Promise<string> {
  const lines: string[] = [`Replay timing: a jittered ${CHUNKS + 1}-chunk SSE stream (bursts < 2 ms, 5-30 ms gaps, 60-300 ms stalls)`];
  const up = await upstream('absolute');
  let trace: Trace | undefined;
  const rec = await startRecorder({ upstream: url(up), onTrace: (t) => void (trace = t) });
  const body = { model: 'bench', stream: true, messages: [{ role: 'user', content: 'go' }] };

  // Recorder added latency: the same stream direct and through the proxy, per-chunk arrival difference.
  const direct = await timedPost(`${url(up)}/v1/chat/completions`, body);
  const proxied = await timedPost(`${rec.url}/v1/chat/completions`, body);
  await rec.flush();
  await rec.close();
  const recorded = trace!;
  const planned = planPlayback(recorded).pieces.map((p) => p.at);
  const added = proxied.frameTimes.map((t, i) => t - (direct.frameTimes[i] ?? t)).sort((a, b) => a - b);
  // Timing tap accuracy: the recorder's stamps vs what the upstream scheduled.
  const { gaps } = frames();
  const truth = gaps.reduce<number[]>((acc, g, i) => [...acc, (acc[i - 1] ?? 0) + (i === 0 ? 0 : g)], []);
  const tap = errorsOf(planned, truth);

  const replay = await startReplayServer({ cassette: [recorded], speed: 1 });
  await timedPost(`${replay.url}/v1/chat/completions`, body); // warm-up
  const runs: Array<ReturnType<typeof errorsOf>> = [];
  for (let k = 0; k < 3; k++) runs.push(errorsOf((await timedPost(`${replay.url}/v1/chat/completions`, body)).frameTimes, planned));
  const best = runs.sort((a, b) => a.p99 - b.p99)[1]!; // the median run of three
  const naiveUp = await upstream('naive');
  const naive = errorsOf((await timedPost(`${url(naiveUp)}/v1/chat/completions`, body)).frameTimes, planned);
  lines.push(row('TraceForge replay (median of 3)', best));
  lines.push(row('baseline: chained setTimeout', naive));
  lines.push(row('recorder timing tap vs upstream', tap));
  lines.push(`  recorder added latency per chunk   p50 ${percentile(added, 50).toFixed(3)} ms   p99 ${percentile(added, 99).toFixed(3)} ms (proxied minus direct arrival)`);

  const N = 100;
  const all = await Promise.all(Array.from({ length: N }, () => timedPost(`${replay.url}/v1/chat/completions`, body)));
  const allErr = all.flatMap((r) => r.frameTimes.map((t, i) => Math.abs(t - r.frameTimes[0]! - (planned[i]! - planned[0]!)))).sort((a, b) => a - b);
  const identical = all.every((r) => Buffer.compare(r.body, all[0]!.body) === 0 && r.frameTimes.length === planned.length);
  lines.push(`  ${N} concurrent replays               p50 ${percentile(allErr, 50).toFixed(3)} ms   p99 ${percentile(allErr, 99).toFixed(3)} ms   max ${allErr.at(-1)!.toFixed(3)} ms   all byte-identical: ${identical}`);
  lines.push('  targets: p99 <= 1 ms, drift <= 2 ms, added latency p50 <= 0.3 ms, 100 concurrent p99 <= 3 ms');
  await replay.close();
  await new Promise((r) => up.close(r));
  await new Promise((r) => naiveUp.close(r));
  return lines.join('\n');
}
