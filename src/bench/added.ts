import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { recorderAddedLatency } from './aimock-compare.js';
import type { BenchOptions } from './options.js';
import { fmt, table } from './stats.js';
import { startWorld } from './world.js';

/**
 * Section 4 of the session bench on its own, repeated: recorder added latency per chunk (TraceForge
 * and aimock, next to a direct read of the same upstream), so a change to the recording path can be
 * judged against aimock in the same run and on the median of several repeats rather than one noisy
 * run. `ADDED_REPEAT` (default 3) repeats of `ADDED_RUNS` (default 3) runs of an `ADDED_CHUNKS`
 * (default 200) chunk stream. Each repeat starts fresh recorders; the world (upstream and client
 * process) stays up.
 *
 * `npm run bench -- added` (or `node dist/bench/run.js added`)
 */
export async function benchAdded(_o: BenchOptions): Promise<string> {
  const num = (name: string, def: number) => (process.env[name] ? Number(process.env[name]) : def);
  const repeat = num('ADDED_REPEAT', 3);
  const runs = num('ADDED_RUNS', 3);
  const chunks = num('ADDED_CHUNKS', 200);
  const world = startWorld();
  const dir = await mkdtemp(join(tmpdir(), 'tf-bench-added-'));
  const rows: string[][] = [];
  const cols = { d50: [] as number[], d99: [] as number[], t50: [] as number[], t99: [] as number[], a50: [] as number[], a99: [] as number[] };
  try {
    const upstream = await world.upstream(chunks);
    for (let r = 0; r < repeat; r++) {
      const load = loadavg()[0]!;
      const a = await recorderAddedLatency(world, upstream, runs, join(dir, String(r)));
      const t50 = a.traceforge.p50 - a.direct.p50;
      const t99 = a.traceforge.p99 - a.direct.p99;
      const a50 = a.aimock.p50 - a.direct.p50;
      const a99 = a.aimock.p99 - a.direct.p99;
      cols.d50.push(a.direct.p50);
      cols.d99.push(a.direct.p99);
      cols.t50.push(t50);
      cols.t99.push(t99);
      cols.a50.push(a50);
      cols.a99.push(a99);
      rows.push([`repeat ${r + 1} (load ${load.toFixed(2)})`, fmt(a.direct.p50), fmt(a.direct.p99), fmt(t50), fmt(t99), fmt(a50), fmt(a99), fmt(t50 - a50), fmt(t99 - a99), `${a.complete.traceforge}/${a.complete.aimock}/${runs}`]);
    }
  } finally {
    await world.close();
    await rm(dir, { recursive: true, force: true });
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const diff50 = cols.t50.map((t, i) => t - cols.a50[i]!);
  const diff99 = cols.t99.map((t, i) => t - cols.a99[i]!);
  rows.push(['median', fmt(med(cols.d50)), fmt(med(cols.d99)), fmt(med(cols.t50)), fmt(med(cols.t99)), fmt(med(cols.a50)), fmt(med(cols.a99)), fmt(med(diff50)), fmt(med(diff99)), '']);
  return [
    `Recorder added latency per chunk: ${repeat} repeat(s) of ${runs} run(s) of the ${chunks}-chunk jittered stream, direct / TraceForge / aimock interleaved`,
    `  (upstream and raw-socket client in the world process, recorders in this one; added = through the recorder minus direct at the same percentile; ms)`,
    table(['', 'direct p50', 'direct p99', 'TF +p50', 'TF +p99', 'aimock +p50', 'aimock +p99', 'TF-am p50', 'TF-am p99', 'complete tf/am'], rows),
  ].join('\n');
}
