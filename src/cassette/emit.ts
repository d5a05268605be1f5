import { stringify } from 'yaml';
import type { Trace } from '../trace/types.js';

/**
 * One trace as a YAML document body, fast enough to append hundreds of calls a second.
 *
 * `yaml`'s stringify builds a node for every value: a 200-chunk OpenAI stream took 10-20 ms, so 200
 * calls ending together kept the cassette 2-4 s behind the trace files. The chunks (and a plain
 * body's reads) are nearly all of a trace, and every value in them is JSON data, which YAML 1.2
 * reads as is: each chunk is written as a block mapping whose strings are double-quoted scalars and
 * whose `data` is one JSON flow line. Everything else still goes through `yaml`. The result parses
 * with `yaml` to the same values, and a chunk's `data` stays one diffable line.
 */
const OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false } as const;

const hex4 = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * A YAML double-quoted scalar. JSON's escapes are YAML's too; YAML also forbids raw non-printable
 * characters JSON leaves alone (DEL, C1 controls, line and paragraph separators, BOM, U+FFFE/FFFF).
 */
export function quoted(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g, hex4);
}

/** JSON flow text of a value, or undefined when JSON would change it (-0, NaN, Infinity, undefined in a list). */
function flow(value: unknown): string | undefined {
  let exact = true;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) exact = false;
    else if (v === undefined || typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') exact = false;
    return v;
  });
  return exact && text !== undefined ? text.replace(/[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g, hex4) : undefined;
}

function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return quoted(v);
  if (typeof v === 'boolean' || v === null) return String(v);
  if (typeof v === 'number') return Number.isNaN(v) ? '.nan' : v === Infinity ? '.inf' : v === -Infinity ? '-.inf' : Object.is(v, -0) ? '-0' : String(v);
  return undefined;
}

const indentLines = (text: string, pad: string): string => text.replace(/^(?=.)/gm, pad);
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const keyText = (k: string): string => (KEY.test(k) && !['true', 'false', 'null', 'y', 'n', 'yes', 'no', 'on', 'off'].includes(k.toLowerCase()) ? k : quoted(k));

/** `key: value` at `pad`, for any value: a scalar or a JSON flow line when exact, else `yaml`'s block output. */
function entry(key: string, value: unknown, pad: string): string {
  const s = scalar(value);
  if (s !== undefined) return `${pad}${keyText(key)}: ${s}\n`;
  const f = flow(value);
  if (f !== undefined) return `${pad}${keyText(key)}: ${f}\n`;
  return indentLines(stringify({ [key]: value }, OPTIONS), pad);
}

/** A list of chunks or body reads: one block mapping per item. */
function pieces(key: string, list: readonly unknown[], pad: string): string {
  if (list.length === 0) return `${pad}${key}: []\n`;
  let out = `${pad}${key}:\n`;
  // Items indented under their key, as `yaml` writes sequences (the cassette index reads lines by indentation).
  const item = `${pad}  `;
  const inner = `${pad}    `;
  for (const entryValue of list) {
    const fields = entryValue && typeof entryValue === 'object' && !Array.isArray(entryValue) ? Object.entries(entryValue).filter(([, v]) => v !== undefined) : [];
    if (fields.length === 0) {
      out += indentLines(stringify([entryValue], OPTIONS), item);
      continue;
    }
    let first = true;
    for (const [k, v] of fields) {
      const line = entry(k, v, inner);
      out += first ? `${item}- ${line.slice(inner.length)}` : line;
      first = false;
    }
  }
  return out;
}

export function stringifyTraceBody(trace: Trace): string {
  let out = '';
  for (const [key, value] of Object.entries(trace)) {
    if (value === undefined) continue;
    if (key === 'chunks' && Array.isArray(value)) out += pieces('chunks', value, '');
    else if (key === 'http' && value && typeof value === 'object' && Array.isArray((value as { body?: unknown }).body)) {
      out += 'http:\n';
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue;
        out += k === 'body' && Array.isArray(v) ? pieces('body', v, '  ') : indentLines(stringify({ [k]: v }, OPTIONS), '  ');
      }
    } else out += stringify({ [key]: value }, OPTIONS);
  }
  return out;
}
