import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRecorder } from '../record/recorder.js';
import { startReplayServer } from '../replay/replay-server.js';
import { createTraceStore } from '../store/trace-store.js';
import { splitFrames } from '../stream/framing.js';
import type { Trace } from '../trace/types.js';
import { timedPost, timingErrors, type Timed } from './client.js';
import type { BenchOptions } from './options.js';
import { BENCH_REQUEST } from './replay-timing.js';
import { fmt, spread, table, type Spread } from './stats.js';
import { jitteredStream, type BenchStream } from './stream.js';
import { startWorld, type World } from './world.js';

const PATH = '/v1/chat/completions';

/** The content text of each SSE frame of a body, in order. */
function frameTexts(body: Buffer): string[] {
  // splitFrames, not push alone: a block ending on the body's last CR is only released by end().
  return splitFrames('sse', body).map((f) => {
    try {
      const d = JSON.parse(f.data ?? '') as { choices?: Array<{ delta?: { content?: string } }> };
      return d.choices?.[0]?.delta?.content ?? '';
    } catch {
      return '';
    }
  });
}

/**
 * Per-event timing that works whatever a tool does to the framing: for every event of the original
 * stream that carried text, the moment the client had received that much text, against when the
 * upstream sent it. For a replayer that keeps every event in its own frame this is the per-frame error;
 * for one that re-chunks, it is when each token actually reached the app.
 */
function contentTiming(run: Timed, stream: BenchStream) {
  const original = stream.frames.map((f) => frameTexts(f)[0] ?? '');
  const planned: number[] = [];
  const needed: number[] = [];
  let total = 0;
  original.forEach((t, i) => {
    if (t === '') return;
    total += t.length;
    needed.push(total);
    planned.push(stream.ttfbMs + stream.offsets[i]!);
  });
  const got = frameTexts(run.body!);
  const arrivals: number[] = [];
  let have = 0;
  let j = 0;
  for (const need of needed) {
    while (have < need && j < got.length) have += got[j++]!.length;
    if (have < need) break;
    arrivals.push(run.frameAt[j - 1]!);
  }
  return { ...timingErrors({ sentAt: run.sentAt, frameAt: arrivals }, planned), events: needed.length, delivered: arrivals.length };
}

interface AimockModule {
  LLMock: new (options: Record<string, unknown>) => { start(): Promise<string>; stop(): Promise<void>; url: string; loadFixtureDir(dir: string): unknown };
}

/**
 * TraceForge and aimock side by side: the same seeded jittered stream from the same local upstream,
 * recorded through each tool and replayed by each, measured by the same node:http client.
 */
export async function benchAimock(o: BenchOptions): Promise<string> {
  // Loaded here: aimock is a devDependency used by nothing but this comparison.
  const { LLMock } = (await import('@copilotkit/aimock')) as unknown as AimockModule;
  const stream = jitteredStream(o.chunks);
  const expected = Buffer.concat(stream.frames);
  const world = startWorld();
  const dir = await mkdtemp(join(tmpdir(), 'tf-bench-aimock-'));
  try {
    const upstream = await world.upstream(o.chunks);
    const warm = async (url: string) => {
      for (let i = 0; i < 3; i++) await timedPost(`${url}${PATH}?frames=20`, BENCH_REQUEST);
    };

    let trace: Trace | undefined;
    const rec = await startRecorder({ upstream, onTrace: (t) => void (t.http.url === PATH ? (trace = t) : undefined) });
    await warm(rec.url);
    const tfLive = await timedPost(`${rec.url}${PATH}`, BENCH_REQUEST);
    await rec.close();
    const tfServer = await startReplayServer({ cassette: [trace!], speed: 1 });
    const tfReplay = await timedPost(`${tfServer.url}${PATH}`, BENCH_REQUEST);
    await tfServer.close();

    const recorder = new LLMock({ port: 0, logLevel: 'silent', record: { providers: { openai: upstream }, fixturePath: dir } });
    await recorder.start();
    const amLive = await timedPost(`${recorder.url}${PATH}`, BENCH_REQUEST);
    await recorder.stop();
    const replayer = new LLMock({ port: 0, logLevel: 'silent' });
    replayer.loadFixtureDir(dir);
    await replayer.start();
    const amReplay = await timedPost(`${replayer.url}${PATH}`, BENCH_REQUEST);
    await replayer.stop();

    const rowOf = (name: string, live: Timed, replay: Timed) => {
      const t = contentTiming(replay, stream);
      const e = spread(t.errors);
      return [
        name,
        `${replay.frameAt.length}/${stream.frames.length}`,
        String(live.body!.equals(expected)),
        String(replay.body!.equals(expected)),
        `${t.delivered}/${t.events}`,
        fmt(e.p50, 2),
        fmt(e.p99, 2),
        fmt(e.max, 2),
        fmt(t.drift, 2),
      ];
    };
    return [
      `TraceForge vs aimock (@copilotkit/aimock): the same ${stream.frames.length}-event jittered stream, recorded and replayed through each, one node:http client`,
      `  event timing: for each recorded event that carried text, when the client had that much text, against when the upstream sent it`,
      `  (deviation from the median offset); drift = median error of the last 10 events - of the first 10; ms`,
      table(
        ['', 'frames', 'live bytes =', 'replay bytes =', 'events', 'p50', 'p99', 'max', 'drift'],
        [rowOf('TraceForge', tfLive, tfReplay), rowOf('aimock', amLive, amReplay)],
      ),
    ].join('\n');
  } finally {
    await world.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export interface AddedLatency {
  /** Per-chunk latency, upstream write -> client arrival (ms), over every run. */
  direct: Spread;
  traceforge: Spread;
  aimock: Spread;
  /** Runs whose client got as many frames as the upstream wrote, of `runs`. */
  complete: { direct: number; traceforge: number; aimock: number };
  runs: number;
}

/**
 * Recorder added latency per chunk (issue 10): the same upstream stream read directly, through
 * TraceForge's recorder (saving each trace as `traceforge record` does) and through aimock's recorder,
 * the three interleaved run by run. The recorders run in this process; the upstream and the raw-socket
 * client in the world's, so a chunk's latency is the client's arrival stamp minus the upstream's own
 * write stamp. Each call has its own request body, so aimock proxies every one rather than replaying
 * the fixture it just recorded.
 */
export async function recorderAddedLatency(world: World, upstream: string, runs: number, dir: string): Promise<AddedLatency> {
  const { LLMock } = (await import('@copilotkit/aimock')) as unknown as AimockModule;
  const store = createTraceStore(join(dir, 'traces'));
  const tf = await startRecorder({ upstream, onTrace: (t) => store.save(t).then(() => undefined) });
  const am = new LLMock({ port: 0, logLevel: 'silent', record: { providers: { openai: upstream }, fixturePath: join(dir, 'aimock') } });
  await am.start();
  const lat = { direct: [] as number[], traceforge: [] as number[], aimock: [] as number[] };
  const complete = { direct: 0, traceforge: 0, aimock: 0 };
  let call = 0;
  const one = async (base: string, path: string) => {
    const body = { ...BENCH_REQUEST, messages: [{ role: 'user', content: `Count slowly (${call++}).` }] };
    const [r] = await world.clients(`${base}${path}`, 1, body, `added${call}`, { lean: true });
    return { r: r!, writes: await world.latest() };
  };
  try {
    for (const base of [upstream, tf.url, am.url]) for (let i = 0; i < 3; i++) await one(base, `${PATH}?frames=20`);
    for (let i = 0; i < runs; i++) {
      for (const [name, base] of [['direct', upstream], ['traceforge', tf.url], ['aimock', am.url]] as const) {
        const { r, writes } = await one(base, PATH);
        if (!r.dropped && r.frameAt.length === writes.length) complete[name]++;
        r.frameAt.forEach((t, k) => (writes[k] === undefined ? undefined : lat[name].push(t - writes[k]!)));
      }
    }
  } finally {
    await tf.close();
    await am.stop();
  }
  return { direct: spread(lat.direct), traceforge: spread(lat.traceforge), aimock: spread(lat.aimock), complete, runs };
}
