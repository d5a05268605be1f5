import { TraceForgeError } from '../errors.js';
import { assertTrace } from './validate.js';
import type { Trace } from './types.js';

/** Serialise a trace file. Stable key order comes from the object itself; 2-space indent keeps diffs readable. */
export function stringifyTrace(trace: Trace): string {
  return `${JSON.stringify(trace, null, 2)}\n`;
}

/** Parse and validate a trace file's text. `source` names the file in errors. */
export function parseTrace(text: string, source: string): Trace {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const where = /position (\d+)/.exec(msg);
    const line = where ? text.slice(0, Number(where[1])).split('\n').length : undefined;
    throw new TraceForgeError(
      'E_TRACE_INVALID',
      `${source}${line ? `:${line}` : ''}: not valid JSON (${msg}); the file may be truncated: re-record it or delete it`,
      { cause: e },
    );
  }
  return assertTrace(value, source);
}
