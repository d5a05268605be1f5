import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { emptyCassette } from '../cassette/codec.js';
import { writeCassette } from '../store/cassette-file.js';
import type { BenchOptions } from './options.js';
import { fmt, percentile, table } from './stats.js';

const run = promisify(execFile);
const OPEN = fileURLToPath(new URL('startup-open.js', import.meta.url));

/** Goal (issue 23): opening a cassette that records costs at most this much more than one that replays, idle. */
export const STARTUP_GAP_GOAL_MS = 300;

interface Open {
  openMs: number;
  cpuMs: number;
}

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

/**
 * Issue 23 part 4: openCassette in a fresh process, record mode (`all`: the recorder's proxy thread, with
 * mockttp) against replay mode (`none`), N times each, alternating so that both see the same load.
 */
export async function benchStartup(o: BenchOptions): Promise<string> {
  const runs = Number(process.env.BENCH_STARTUP_RUNS ?? (o.quick ? 5 : 10));
  const dir = await mkdtemp(join(tmpdir(), 'traceforge-startup-'));
  const path = join(dir, 'empty.yaml');
  try {
    await writeCassette(path, emptyCassette());
    const load = [loadavg()[0]!];
    const by: Record<'none' | 'all', Open[]> = { none: [], all: [] };
    for (let i = 0; i < runs; i++) {
      for (const mode of ['none', 'all'] as const) {
        const { stdout } = await run(process.execPath, [OPEN, mode, path]);
        by[mode].push(JSON.parse(stdout) as Open);
      }
    }
    load.push(loadavg()[0]!);
    const row = (name: string, xs: Open[]): string[] => {
      const open = sorted(xs.map((x) => x.openMs));
      return [name, fmt(percentile(open, 50), 0), fmt(percentile(open, 99), 0), fmt(percentile(sorted(xs.map((x) => x.cpuMs)), 50), 0)];
    };
    const gap = percentile(sorted(by.all.map((x) => x.openMs)), 50) - percentile(sorted(by.none.map((x) => x.openMs)), 50);
    return [
      `startup: openCassette in a fresh process, ${runs} runs per mode, alternating (load average ${load.map((l) => l.toFixed(2)).join(' -> ')})`,
      table(['mode', 'open p50 ms', 'open p99 ms', 'process CPU p50 ms'], [row('replay (none)', by.none), row('record (all)', by.all)]),
      `  record - replay, medians: ${fmt(gap, 0)} ms (goal <= ${STARTUP_GAP_GOAL_MS} ms on an idle machine)`,
    ].join('\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
