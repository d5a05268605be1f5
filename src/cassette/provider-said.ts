import type { Outcome, Trace } from '../trace/types.js';

/**
 * Why a recorded call stays out of the cassette, or undefined when it belongs in it. A cassette holds
 * what the provider said: a call the recorder answered itself (the upstream could not be reached, a
 * loop, a host not allowed) or cut itself (its own shutdown) would otherwise be replayed in CI as if
 * the provider had said it. Such calls keep their trace file. A stream the upstream really dropped is
 * what the provider did, so it goes in.
 */
export function notFromProvider(trace: Trace): string | undefined {
  return LEFT_OUT[trace.http.outcome];
}

const LEFT_OUT: Partial<Record<Outcome, string>> = {
  upstream_unreachable: 'the upstream could not be reached (the 502 was the recorder\'s own)',
  recorder_shutdown: 'cut by the recorder\'s shutdown',
  recorder_refused: 'refused by the recorder (a loop to itself, or a host not allowed)',
};
