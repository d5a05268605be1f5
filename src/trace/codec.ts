import { TraceForgeError } from '../errors.js';
import { shortText } from '../util/one-line.js';
import { isLegacyTrace, legacyToTrace } from './legacy.js';
import { assertTrace } from './validate.js';
import type { Trace } from './types.js';

/**
 * Serialise a trace file. Stable key order comes from the object itself; 2-space indent keeps diffs readable.
 * @example await writeFile(`${trace.id}.json`, stringifyTrace(trace));
 */
export function stringifyTrace(trace: Trace): string {
  return `${JSON.stringify(trace, null, 2)}\n`;
}

/**
 * V8's JSON errors quote a snippet of the file, which may hold newlines or megabytes; keep what went
 * wrong and where, drop the snippet. `Unexpected token 'x', "...": is not valid JSON` -> `Unexpected token 'x'`.
 */
function jsonProblem(message: string): string {
  const cut = message.replace(/, ".*" is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '');
  return /call stack/i.test(cut) ? 'nested too deeply' : shortText(cut, 120);
}

/**
 * Parse and validate a trace file's text; a first-TraceForge trace (schema "1.0.0") is converted as it
 * is read. `source` names the file in errors.
 * @example const trace = parseTrace(await readFile(path, 'utf8'), path);
 */
export function parseTrace(text: string, source: string): Trace {
  const name = shortText(source);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const where = /position (\d+)/.exec(msg);
    const line = where ? text.slice(0, Number(where[1])).split('\n').length : undefined;
    throw new TraceForgeError(
      'E_TRACE_INVALID',
      `${name}${line ? `:${line}` : ''}: not valid JSON (${text.trim() === '' ? 'the file is empty' : jsonProblem(msg)}); the file may be truncated: re-record it or delete it`,
      { cause: e },
    );
  }
  return isLegacyTrace(value) ? legacyToTrace(value, name) : assertTrace(value, name);
}
