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
 * Explicit option, then TRACEFORGE_RECORD, then `new_episodes` inside `traceforge record -- <command>`
 * (TRACEFORGE_PROXY_URL set: record what the cassette lacks, even when another test file created it
 * first), then `none` under CI and `once` elsewhere.
 */
export function resolveRecordMode(explicit: string | undefined, env: NodeJS.ProcessEnv): RecordMode {
  const raw = explicit ?? env.TRACEFORGE_RECORD;
  if (raw !== undefined && raw !== '') {
    if ((RECORD_MODES as readonly string[]).includes(raw)) return raw as RecordMode;
    throw new TraceForgeError('E_USAGE', `record mode "${raw}" is not one of ${RECORD_MODES.join(', ')} (from ${explicit !== undefined ? 'the mode option' : 'TRACEFORGE_RECORD'})`);
  }
  if (env.TRACEFORGE_PROXY_URL) return 'new_episodes';
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0' ? 'none' : 'once';
}
