import { resolve } from 'node:path';
import { TraceForgeError } from './errors.js';

/**
 * VCR's record modes:
 * - `none`: replay only; a request that matches nothing fails. Never touches the network.
 * - `once`: record everything if the cassette does not exist yet, otherwise behave like `none`.
 * - `new_episodes`: replay what matches, record what does not and append it.
 * - `all`: record everything again, replacing the cassette.
 */
export type RecordMode = 'none' | 'once' | 'new_episodes' | 'all';
export const RECORD_MODES: readonly RecordMode[] = ['none', 'once', 'new_episodes', 'all'];

/**
 * Explicit option, then TRACEFORGE_RECORD, then, for the cassette `traceforge record --cassette F -- <command>`
 * writes itself (TRACEFORGE_CASSETTE), its --mode (TRACEFORGE_CASSETTE_MODE), then `new_episodes` inside `traceforge record -- <command>`
 * (TRACEFORGE_PROXY_URL set: record what the cassette lacks, even when another test file created it
 * first), then `none` under CI and `once` elsewhere.
 */
export function resolveRecordMode(explicit: string | undefined, env: NodeJS.ProcessEnv, path?: string): RecordMode {
  const outers = !!env.TRACEFORGE_CASSETTE_MODE && !!env.TRACEFORGE_CASSETTE && path !== undefined && resolve(path) === resolve(env.TRACEFORGE_CASSETTE);
  const [raw, from] =
    explicit !== undefined ? [explicit, 'the mode option'] : env.TRACEFORGE_RECORD ? [env.TRACEFORGE_RECORD, 'TRACEFORGE_RECORD'] : outers ? [env.TRACEFORGE_CASSETTE_MODE, 'TRACEFORGE_CASSETTE_MODE'] : [undefined, ''];
  if (raw !== undefined && raw !== '') {
    if ((RECORD_MODES as readonly string[]).includes(raw)) return raw as RecordMode;
    throw new TraceForgeError('E_USAGE', `record mode "${raw}" is not one of ${RECORD_MODES.join(', ')} (from ${from})`);
  }
  if (env.TRACEFORGE_PROXY_URL) return 'new_episodes';
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0' ? 'none' : 'once';
}
