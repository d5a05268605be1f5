import { createHash } from 'node:crypto';
import { startRecorder } from '../record/recorder.js';
import { planPlayback } from '../replay/plan.js';
import { startReplayServer } from '../replay/replay-server.js';
import { storedToBytes } from '../stream/bytes.js';
import type { Trace } from '../trace/types.js';
import { timedPost, timingErrors } from './client.js';
import { startNaiveReplayer } from './naive-replayer.js';
import type { BenchOptions } from './options.js';
import { fmt, spread, table, type Spread } from './stats.js';
import { jitteredStream } from './stream.js';
import { startWorld, type World } from './world.js';

export const BENCH_REQUEST = { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Count slowly.' }] };
const PATH = '/v1/chat/completions';

const row = (name: string, s: Spread, drift: number | string, ttfb: number | string) => [
  name,
  fmt(s.p50),
  fmt(s.p99),
  fmt(s.max),
  typeof drift === 'number' ? fmt(drift) : drift,
  typeof ttfb === 'number' ? fmt(ttfb) : ttfb,
];
const worst = (xs: number[]) => xs.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a), 0);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Record the bench stream through the real recorder; returns the trace and the per-chunk latency figures. */
export async function recordBenchStream(o: BenchOptions, world: World) {
  const stream = jitteredStream(o.chunks);
  const upstream = await world.upstream(o.chunks);
  const traces: Trace[] = [];
  const rec = await startRecorder({ upstream, onTrace: (t) => void traces.push(t) });
  try {
    // Warm both paths (JIT, first connections) on a short stream before measuring.
    for (let i = 0; i < 3; i++) {
      await timedPost(`${upstream}${PATH}?frames=20`, BENCH_REQUEST);
      await timedPost(`${rec.url}${PATH}?frames=20`, BENCH_REQUEST);
    }
    const direct = await timedPost(`${upstream}${PATH}`, BENCH_REQUEST, { headers: { 'x-bench-id': 'direct' } });
    const proxied = await timedPost(`${rec.url}${PATH}`, BENCH_REQUEST, { headers: { 'x-bench-id': 'proxied' } });
    const [directWrites, proxiedWrites] = (await world.writes(['direct', 'proxied'])) as [number[], number[]];
    await rec.flush();
    const trace = traces.find((t) => t.http.url === PATH);
    if (!trace) throw new Error('bench: the recorder wrote no trace for the full stream');
    const expected = Buffer.concat(stream.frames);
    const latency = (frameAt: number[], writes: number[]) => frameAt.map((t, i) => t - writes[i]!);
    const directLat = spread(latency(direct.frameAt, directWrites));
    const proxiedLat = spread(latency(proxied.frameAt, proxiedWrites));
    const planned = planPlayback(trace).pieces.map((p) => p.at);
    // The tap's stamps against the upstream's own write times, both relative to the first frame.
    const tap = planned.map((p, i) => p - planned[0]! - (proxiedWrites[i]! - proxiedWrites[0]!));
    const recordedBytes = Buffer.concat((trace.chunks ?? []).map((c) => storedToBytes(c.raw, c.raw_encoding)));
    return {
      stream,
      trace,
      planned,
      expected,
      directLat,
      proxiedLat,
      tap,
      forwardedIdentical: proxied.body!.equals(expected),
      recordedIdentical: recordedBytes.equals(expected),
      frames: trace.total_chunks ?? 0,
    };
  } finally {
    await rec.close();
  }
}

/**
 * Issue-2 figures: per-chunk replay error and drift next to a chained-setTimeout replayer, the
 * recorder's timing tap and added latency, and concurrent replays, all measured by a node:http client.
 */
export async function benchReplayTiming(o: BenchOptions): Promise<string> {
  const world = startWorld();
  try {
    return await measure(o, world);
  } finally {
    await world.close();
  }
}

async function measure(o: BenchOptions, world: World): Promise<string> {
  const r = await recordBenchStream(o, world);
  const out: string[] = [
    `Replay timing (issue 2): a seeded jittered SSE stream of ${r.frames} chunks (bursts < 2 ms, 5-30 ms gaps, 60-300 ms stalls; ${(r.stream.offsets.at(-1)! / 1000).toFixed(1)} s)`,
    `  recorded through the recorder from a local upstream (child process), replayed to a node:http client in the replay server's process;`,
    `  concurrent clients run in the child process. Per chunk: error = deviation of (arrival - request sent - recorded offset) from its median;`,
    `  drift = median error of the last 10 chunks - of the first 10; TTFB err = first arrival - sent - recorded TTFB (TCP connect included). ms.`,
  ];

  const warm = await startReplayServer({ cassette: [r.trace], speed: 0 });
  for (let i = 0; i < 5; i++) await timedPost(`${warm.url}${PATH}`, BENCH_REQUEST);
  await warm.close();

  const replay = await startReplayServer({ cassette: [r.trace], speed: 1 });
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await timedPost(`${replay.url}${PATH}`, BENCH_REQUEST));
  const ours = runs.map((t) => timingErrors(t, r.planned));
  const identical = runs.every((t) => t.body!.equals(r.expected) && t.frameAt.length === r.frames);

  const naive = await startNaiveReplayer(r.trace);
  const naiveRun = await timedPost(`${naive.url}${PATH}`, BENCH_REQUEST);
  await naive.close();
  const base = timingErrors(naiveRun, r.planned);

  const many = await world.clients(`${replay.url}${PATH}`, o.replays, BENCH_REQUEST, 'c', { lean: true });
  await replay.close();
  const manyErr = many.map((t) => timingErrors(t, r.planned));
  const expectedSha = sha(r.expected);
  const manyIdentical = many.filter((t) => t.sha256 === expectedSha && t.frameAt.length === r.frames).length;

  out.push(
    table(
      ['', 'p50', 'p99', 'max', 'drift', 'TTFB err'],
      [
        row('TraceForge replay (3 runs)', spread(ours.flatMap((e) => e.errors)), worst(ours.map((e) => e.drift)), worst(ours.map((e) => e.ttfb))),
        row('baseline: chained setTimeout', spread(base.errors), base.drift, base.ttfb),
        row(`TraceForge, ${o.replays} concurrent replays`, spread(manyErr.flatMap((e) => e.errors)), worst(manyErr.map((e) => e.drift)), worst(manyErr.map((e) => e.ttfb))),
        row('recorder tap vs upstream writes', spread(r.tap), r.tap.at(-1)!, '—'),
      ],
    ),
  );
  out.push(
    `  upstream write -> client arrival per chunk: direct p50 ${fmt(r.directLat.p50)} p99 ${fmt(r.directLat.p99)}; through the recorder p50 ${fmt(r.proxiedLat.p50)} p99 ${fmt(r.proxiedLat.p99)}` +
      `\n  recorder added latency per chunk: p50 ${fmt(r.proxiedLat.p50 - r.directLat.p50)} ms`,
  );
  out.push(
    `  bytes: forwarded identical ${r.forwardedIdentical}, recorded identical ${r.recordedIdentical}, replays identical ${identical && manyIdentical === many.length} (${manyIdentical}/${many.length} concurrent)`,
  );
  out.push(`  targets: p99 <= 1 ms, drift <= 2 ms, added latency p50 <= 0.3 ms, ${o.replays} concurrent p99 <= 3 ms`);
  return out.join('\n');
}
