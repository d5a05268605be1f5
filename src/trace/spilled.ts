import type { BodyRead, Trace, TraceChunk } from './types.js';

/**
 * A trace whose chunks (or body reads) were too big to hold in memory: the recorder spilled them to
 * a file as they arrived, and the trace object carries a reader instead of the array. Writers that
 * stream (the trace store) read it back piece by piece; writers that cannot (YAML cassettes) refuse it.
 */
export const SPILLED: unique symbol = Symbol.for('traceforge.spilled') as never;

export interface SpilledPieces {
  /** Where the pieces go: `chunks` for streams, `http.body` otherwise. */
  kind: 'chunks' | 'body';
  count: number;
  /** Bytes of the recorded body. */
  bytes: number;
  /** The pieces in order, `delta_ms` included, exactly as they would sit in the array. */
  read(): AsyncIterable<TraceChunk | BodyRead>;
}

export function spilledOf(trace: Trace): SpilledPieces | undefined {
  return (trace as Trace & { [SPILLED]?: SpilledPieces })[SPILLED];
}

/** Attach spilled pieces to a trace without making them part of its JSON. */
export function attachSpilled(trace: Trace, pieces: SpilledPieces): Trace {
  Object.defineProperty(trace, SPILLED, { value: pieces, enumerable: false });
  return trace;
}
