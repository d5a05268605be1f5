import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { emptyCassette } from '../cassette/codec.js';
import { startRecorder } from '../record/recorder.js';
import { planPlayback } from '../replay/plan.js';
import { writeCassette } from '../store/cassette-file.js';
import type { Trace } from '../trace/types.js';
import { timedPost } from './client.js';
import type { BenchOptions } from './options.js';
import { BENCH_REQUEST } from './replay-timing.js';
import { fmt, spread, table } from './stats.js';
import { jitteredStream } from './stream.js';
import { startWorld } from './world.js';

const run = promisify(execFile);
const APP = fileURLToPath(new URL('./virtual-app.js', import.meta.url));

interface AppRun {
  at: number[];
  wallMs: number;
  misses: number;
  latenessP99: number;
}

async function app(path: string, clock: 'wall' | 'virtual'): Promise<AppRun> {
  const { stdout } = await run(process.execPath, [APP, path, clock], { env: { ...process.env, CI: 'true' }, maxBuffer: 16 * 1048576 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as AppRun;
}

function burn(n: number): ChildProcess[] {
  return Array.from({ length: n }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
}

/**
 * Issue 20: what an app in a test process measures of a replayed stream, on the virtual clock and
 * on the wall clock (the baseline), on an idle machine and with 4 CPU-bound processes running. The
 * stream (600 chunks, about 10 s) is recorded through the real recorder from the bench upstream; the
 * app is the official openai SDK in a fresh process, stamping each chunk with its own performance.now().
 */
export async function benchVirtualClock(o: BenchOptions): Promise<string> {
  const chunks = o.quick ? 200 : 600;
  const target = o.quick ? 3000 : 10_000;
  const natural = jitteredStream(chunks).offsets.at(-1)!;
  const world = startWorld();
  const dir = await mkdtemp(join(tmpdir(), 'tf-bench-virtual-'));
  try {
    const upstream = await world.upstream(chunks, target / natural);
    const traces: Trace[] = [];
    const rec = await startRecorder({ upstream, onTrace: (t) => void traces.push(t) });
    await timedPost(`${rec.url}/v1/chat/completions`, BENCH_REQUEST, { headers: { 'x-bench-id': 'virtual' } });
    await rec.flush();
    await rec.close();
    const [writes] = (await world.writes(['virtual'])) as [number[]];
    const trace = traces.find((t) => t.http.url === '/v1/chat/completions');
    if (!trace) throw new Error('bench virtual: the recorder wrote no trace');
    const path = join(dir, 'stream.yaml');
    await writeCassette(path, { ...emptyCassette(), interactions: [trace] });
    // What the app should measure: each event's recorded offset (the SDK yields all but [DONE]).
    const recorded = planPlayback(trace).pieces.map((p) => p.at).slice(0, -1);
    // The truth: the upstream's own log of when it wrote each event, from its first write.
    const truthGaps = writes.slice(1, recorded.length).map((w, i) => w - writes[i]!);
    const rows: Array<Array<string | number>> = [];
    const figures: Record<string, AppRun> = {};
    for (const busy of [0, 4]) {
      const burners = burn(busy);
      try {
        for (const clock of ['virtual', 'wall'] as const) {
          const r = await app(path, clock);
          figures[`${clock}-${busy}`] = r;
          const ttftErr = r.at[0]! - recorded[0]!;
          const gapErr = spread(r.at.slice(1).map((t, i) => t - r.at[i]! - (recorded[i + 1]! - recorded[i]!)));
          const truthErr = spread(r.at.slice(1).map((t, i) => t - r.at[i]! - truthGaps[i]!));
          rows.push([
            `${clock}${busy ? `, ${busy} CPU-bound processes` : ', idle'}`,
            r.at.length === recorded.length ? `${r.at.length}` : `${r.at.length} of ${recorded.length}`,
            fmt(Math.abs(ttftErr)),
            fmt(gapErr.p99),
            fmt(gapErr.max),
            fmt(truthErr.p99),
            fmt(r.wallMs, 0),
          ]);
        }
      } finally {
        for (const b of burners) b.kill('SIGKILL');
      }
    }
    const recordedMs = recorded.at(-1)!;
    const v0 = figures['virtual-0']!;
    const v4 = figures['virtual-4']!;
    const maxErr = Math.max(
      ...[v0, v4].flatMap((r) => [Math.abs(r.at[0]! - recorded[0]!), ...r.at.slice(1).map((t, i) => Math.abs(t - r.at[i]! - (recorded[i + 1]! - recorded[i]!)))]),
    );
    return [
      `virtual clock (issue 20): what the app measures of a ${recorded.length + 1}-event stream recorded over ${(recordedMs / 1000).toFixed(1)} s, openai SDK in a fresh process`,
      table(['clock, machine', 'chunks', 'TTFT err ms', 'gap err p99', 'gap err max', 'vs upstream p99', 'wall ms'], rows),
      `  errors are against the recorded offsets; "vs upstream" compares the app's gaps with the upstream's own write log`,
      `  goals: virtual max error <= 0.001 ms (measured ${fmt(maxErr, 6)}), virtual wall time < 100 ms (measured ${fmt(v0.wallMs, 1)} idle, ${fmt(v4.wallMs, 1)} busy)`,
    ].join('\n');
  } finally {
    await world.close();
    await rm(dir, { recursive: true, force: true });
  }
}
