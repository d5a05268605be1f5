/**
 * The fault points of a stream (see sweep/points.ts) as marks on the trace view's chunk timeline:
 * the `f` key shows where `traceforge sweep` would break the stream. Pure.
 */
import { analyzeStream, streamPoints } from '../sweep/points.js';
import type { Trace } from '../trace/types.js';
import type { Style } from './style.js';

export const FAULT_MARK = '✂';

/**
 * Row (0-based chunk index) -> why a fault there matters. A fault point at position p falls between
 * chunk p and chunk p+1 (counting from 1), so it marks row p: the first chunk the fault holds back or changes.
 */
export function faultMarks(trace: Trace): Map<number, string> {
  if (!trace.chunks || trace.chunks.length === 0) return new Map();
  const points = streamPoints(analyzeStream(trace), Number.MAX_SAFE_INTEGER).filter((p) => p.meaningful);
  return new Map(points.map((p) => [p.position, p.reasons.join('; ')]));
}

/** Timeline rows with each marked row's leading blank replaced by a yellow ✂ (a row with no blank is made yellow instead). */
export function markFaultRows(rows: readonly string[], marks: ReadonlyMap<number, string>, st: Style): string[] {
  return rows.map((row, i) => {
    if (!marks.has(i)) return row;
    return row.startsWith(' ') ? `${st.yellow(FAULT_MARK)}${row.slice(1)}` : st.yellow(row);
  });
}
