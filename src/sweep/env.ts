import { realpathSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TraceForgeError } from '../errors.js';
import type { Fault } from '../replay/faults.js';
import { shortText } from '../util/one-line.js';

/**
 * What `traceforge sweep` tells the command it runs, as JSON in TRACEFORGE_SWEEP: which cassette is swept
 * (its real path), the fault of this run (none in the clean run), the clock to replay it on, and a
 * directory where a session that opened it says so. Only a session on that cassette takes any of it:
 * the suite's other cassettes replay as they would without the sweep.
 */
export const SWEEP_ENV = 'TRACEFORGE_SWEEP';

export interface SweepEnv {
  cassette: string;
  fault?: string;
  clock?: 'virtual';
  seen?: string;
}

/** The path a cassette is known by across processes: the real path when it exists, else the absolute one. */
export function cassetteIdentity(path: string, cwd = process.cwd()): string {
  const abs = resolve(cwd, path);
  try {
    return realpathSync(abs);
  } catch {
    return abs;
  }
}

/** The sweep's word for the cassette at `path`, or undefined when no sweep runs or it sweeps another cassette. */
export function sweptCassette(path: string, env: NodeJS.ProcessEnv = process.env): SweepEnv | undefined {
  const raw = env[SWEEP_ENV];
  if (!raw) return undefined;
  let value: SweepEnv;
  try {
    value = JSON.parse(raw) as SweepEnv;
    if (typeof value?.cassette !== 'string') throw new Error('no cassette');
  } catch {
    throw new TraceForgeError('E_USAGE', `${SWEEP_ENV} is ${JSON.stringify(shortText(raw, 80))}, not the JSON \`traceforge sweep\` sets for the command it runs: unset it`);
  }
  return value.cassette === cassetteIdentity(path) ? value : undefined;
}

/**
 * The faults a session on `path` applies: its own, those in TRACEFORGE_FAULTS (comma- or space-separated
 * `--fault` strings, e.g. `drop-after=3@1`, for every cassette of the process), and the sweep's, when it sweeps this cassette.
 */
export function faultsWithEnv(faults: ReadonlyArray<string | Fault> | undefined, env: NodeJS.ProcessEnv = process.env, swept?: SweepEnv): ReadonlyArray<string | Fault> | undefined {
  const extra = (env.TRACEFORGE_FAULTS ?? '').split(/[\s,]+/).filter((s) => s !== '');
  if (swept?.fault) extra.push(swept.fault);
  return extra.length === 0 ? faults : [...(faults ?? []), ...extra];
}

/** Tell the sweep that a session opened its cassette, and on which clock (a file of its own: several processes may). */
export function markSwept(swept: SweepEnv | undefined, clock: string): void {
  if (!swept?.seen) return;
  try {
    writeFileSync(join(swept.seen, `${process.pid}-${randomBytes(4).toString('hex')}.json`), JSON.stringify({ clock }), { flag: 'wx' });
  } catch {
    // The sweep is gone (its directory with it): nobody is left to tell.
  }
}
