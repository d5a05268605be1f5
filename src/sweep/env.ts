import type { Fault } from '../replay/faults.js';

/**
 * The faults a session applies: its own, plus those in TRACEFORGE_FAULTS (comma- or space-separated
 * `--fault` strings, e.g. `drop-after=3@1`), which `traceforge sweep` sets for the command it runs.
 */
export function faultsWithEnv(faults: ReadonlyArray<string | Fault> | undefined, env: NodeJS.ProcessEnv = process.env): ReadonlyArray<string | Fault> | undefined {
  const extra = (env.TRACEFORGE_FAULTS ?? '').split(/[\s,]+/).filter((s) => s !== '');
  return extra.length === 0 ? faults : [...(faults ?? []), ...extra];
}
