import { relative } from 'node:path';
import { LOOP_DELAY_WARN_MS, type Trace } from '../trace/types.js';
import { visible } from '../util/visible.js';

export const ms = (n: number | undefined): string => (n === undefined ? '-' : n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(1)} ms`);

export const rel = (p: string): string => {
  const r = relative(process.cwd(), p);
  return r.startsWith('..') ? p : r;
};

/** One line per recorded call, for `record` and `demo`; recorded text shows its control characters as escapes. */
export function describeCall(t: Trace): string {
  const ws = t.metadata.websocket;
  const kind = ws ? `websocket, ${ws.client_frames} frames sent, ${ws.server_frames} received` : t.metadata.stream ? `stream, ${t.total_chunks} chunks, TTFB ${ms(t.first_chunk_latency_ms)}` : 'normal';
  const outcome = t.http.outcome === 'complete' ? '' : ` [${t.http.outcome.replace('_', ' ')}]`;
  return visible(`${t.http.method} ${t.endpoint} -> ${t.http.status} (${kind}, ${ms(t.metadata.duration_ms)})${outcome}`, '');
}

/**
 * A warning when the recorder's stamping loop was held up during the call, so its chunk times may be
 * off by that much; undefined when the trace's timing can be trusted (or predates the measure).
 */
export function timingDoubt(t: Trace): string | undefined {
  const delay = t.timing?.max_loop_delay_ms;
  if (delay === undefined || delay <= LOOP_DELAY_WARN_MS) return undefined;
  return `timing may be off by up to ${Math.ceil(delay)} ms (recorder loop held up)`;
}
