import type { Trace } from '../trace/types.js';

/**
 * One trace as a YAML document body, fast enough to append hundreds of calls a second.
 *
 * `yaml`'s stringify builds a node for every value: a 200-chunk OpenAI stream took 10-20 ms, so 200
 * calls ending together kept the cassette 4 s behind the trace files. It also wrote a string that
 * starts with spaces and ends in newlines (`"  \n\n\n"`) as a literal block it then read back as
 * `"\n\n\n"`. Traces are plain data (strings, numbers, booleans, null, lists, mappings), so this writes
 * them directly: block mappings and lists as `yaml` lays them out, text with line breaks as literal
 * blocks (a raw SSE frame reads as it went over the wire), other strings double-quoted, and each
 * chunk's parsed `data` as one JSON-style flow line. Reading stays with `yaml`; the property tests in
 * test/cassette/emit.test.ts check it reads back exactly what was written.
 */

const hex4 = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
// What YAML does not allow raw in a double-quoted scalar, beyond what JSON already escapes.
const NOT_PRINTABLE = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;

/** A YAML double-quoted scalar: JSON's escapes, which are YAML's too, plus the characters YAML forbids raw. */
export function quoted(s: string): string {
  return JSON.stringify(s).replace(NOT_PRINTABLE, hex4);
}

// Plain (unquoted) only when nothing could read it as something else: starts with a letter or `/`, no
// character that means something in YAML (`:` `#` quotes brackets...), no spaces at either end.
const PLAIN = /^[A-Za-z/][A-Za-z0-9 _./()?!,;=+@$%~-]*$/;
const NOT_PLAIN = /^(?:true|false|null|yes|no|on|off|y|n)$/i;

// One line of printable characters: single quotes hold it exactly, with nothing to escape but `'`.
const ONE_LINE_PRINTABLE = /^[\u0020-\u007e\u00a0-\ud7ff\ue000-\ufefe\uff00-\ufffd]*$/;

/**
 * A string as a block-context scalar: plain when it reads back as the same string, single-quoted when
 * it is one printable line (JSON text in a string, full of `"`, stays readable and parses 3x faster
 * than with every quote escaped), else double-quoted with escapes.
 */
function text(s: string): string {
  if (PLAIN.test(s) && !s.endsWith(' ') && !NOT_PLAIN.test(s)) return s;
  if (ONE_LINE_PRINTABLE.test(s)) return `'${s.replaceAll("'", "''")}'`;
  return quoted(s);
}

function scalar(v: unknown, plain = false): string | undefined {
  if (typeof v === 'string') return plain ? text(v) : quoted(v);
  if (typeof v === 'boolean' || v === null) return String(v);
  if (typeof v === 'number') return Number.isNaN(v) ? '.nan' : v === Infinity ? '.inf' : v === -Infinity ? '-.inf' : Object.is(v, -0) ? '-0' : String(v);
  return undefined;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

const fieldsOf = (o: Record<string, unknown>): Array<[string, unknown]> => Object.entries(o).filter(([, v]) => v !== undefined);

/**
 * Whether JSON.stringify writes `value` exactly as {@link flow} would: plain data with no -0, NaN or
 * infinity (JSON has no notation for them) and no undefined in a list. A parsed event's `data` always is.
 * The parse cache (store/cassette-cache.ts) keeps only what JSON holds exactly, by the same test.
 */
export function jsonExact(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (typeof value !== 'object' || value === null) return typeof value === 'string' || typeof value === 'boolean' || value === null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (value[i] === undefined || !jsonExact(value[i])) return false;
    return true;
  }
  if (!isPlainObject(value)) return false;
  for (const k in value) {
    const v = value[k];
    if (v !== undefined && !jsonExact(v)) return false;
  }
  return true;
}

/**
 * A value as one flow line (JSON, with YAML's notation for -0, NaN and infinities). JSON.stringify
 * writes the same text 5x faster when there is none of those: its escapes are YAML's, and the characters
 * YAML forbids raw can only stand inside strings, where `quoted` would escape them too.
 */
function flow(value: unknown): string {
  if (typeof value === 'object' && value !== null && jsonExact(value)) return JSON.stringify(value).replace(NOT_PRINTABLE, hex4);
  return flowSlow(value);
}

function flowSlow(value: unknown): string {
  const s = scalar(value);
  if (s !== undefined) return s;
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : flowSlow(v))).join(',')}]`;
  if (isPlainObject(value)) return `{${fieldsOf(value).map(([k, v]) => `${quoted(k)}:${flowSlow(v)}`).join(',')}}`;
  throw new TypeError(`a cassette holds plain data; got ${typeof value}`);
}

// Text a literal block keeps exactly: printable characters only (no CR, which YAML reads as a line break).
const LITERAL_SAFE = /^[\t\n\u0020-\u007e\u00a0-\ud7ff\ue000-\ufefe\uff00-\ufffd]*$/;

/**
 * A string with line breaks as a literal block (`|`, `|-` or `|+` for its trailing newlines). Undefined
 * when a literal could not hold it exactly: a line that starts with a space (YAML takes the indentation
 * from the first line and reads space-only lines as blank), characters YAML does not allow raw, or
 * nothing but newlines.
 */
function literal(s: string, pad: string): string | undefined {
  if (!s.includes('\n') || !LITERAL_SAFE.test(s)) return undefined;
  const body = s.replace(/\n+$/, '');
  if (body === '') return undefined;
  const lines = body.split('\n');
  if (lines.some((l) => l.startsWith(' '))) return undefined;
  const trailing = s.length - body.length;
  const chomp = trailing === 0 ? '|-' : trailing === 1 ? '|' : '|+';
  const inner = `${pad}  `;
  return `${chomp}\n${lines.map((l) => (l === '' ? '' : inner + l)).join('\n')}\n${'\n'.repeat(Math.max(0, trailing - 1))}`;
}

const BARE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set(['true', 'false', 'null', 'y', 'n', 'yes', 'no', 'on', 'off']);
// YAML caps an implicit key at 1024 characters; longer ones are written as explicit `? key` entries.
const MAX_IMPLICIT_KEY = 1000;
const keyText = (k: string): string => (BARE_KEY.test(k) && !RESERVED.has(k.toLowerCase()) ? k : quoted(k));

/** What follows `key:` or `- `: ` value\n` on the same line, or `\n` and the nested block at `pad`. */
function after(value: unknown, pad: string, flowData: boolean): string {
  if (typeof value === 'string') {
    const block = literal(value, pad.slice(2));
    if (block !== undefined) return ` ${block}`;
  }
  const s = scalar(value, true);
  if (s !== undefined) return ` ${s}\n`;
  if (flowData) return ` ${flow(value)}\n`;
  // A short list of scalars (a header's [name, value]) reads best on one line.
  if (Array.isArray(value) && value.length > 0 && value.length <= 4 && value.every((v) => scalar(v) !== undefined && !(typeof v === 'string' && v.length > 200))) return ` ${flow(value)}\n`;
  if (Array.isArray(value)) return value.length === 0 ? ' []\n' : `\n${list(value, pad)}`;
  if (isPlainObject(value)) {
    const fields = fieldsOf(value);
    return fields.length === 0 ? ' {}\n' : `\n${mapping(fields, pad)}`;
  }
  throw new TypeError(`a cassette holds plain data; got ${typeof value}`);
}

/** Block mapping entries at `pad`. Inside a chunk or body read, `data` is written as one flow line. */
function mapping(fields: Array<[string, unknown]>, pad: string, piece = false): string {
  let out = '';
  for (const [k, v] of fields) {
    const flowData = piece && k === 'data';
    if (k.length > MAX_IMPLICIT_KEY) out += `${pad}? ${quoted(k)}\n${pad}:${after(v, `${pad}  `, flowData)}`;
    else out += `${pad}${keyText(k)}:${after(v, `${pad}  `, flowData)}`;
  }
  return out;
}

/** Block list items at `pad`; a mapping item starts on the dash line, as `yaml` writes it. */
function list(items: readonly unknown[], pad: string, pieces = false): string {
  let out = '';
  for (const item of items) {
    const value = item === undefined ? null : item;
    const fields = isPlainObject(value) ? fieldsOf(value) : [];
    if (fields.length > 0 && fields[0]![0].length <= MAX_IMPLICIT_KEY) {
      // `- ` then the first entry; the rest line up under it.
      out += `${pad}- ${mapping(fields, `${pad}  `, pieces).slice(pad.length + 2)}`;
    } else out += `${pad}-${after(value, `${pad}  `, false)}`;
  }
  return out;
}

/** The document body for one trace (without the `---` and `...` lines). */
export function stringifyTraceBody(trace: Trace): string {
  let out = '';
  for (const [key, value] of fieldsOf(trace as unknown as Record<string, unknown>)) {
    if (key === 'chunks' && Array.isArray(value)) out += value.length === 0 ? 'chunks: []\n' : `chunks:\n${list(value, '  ', true)}`;
    else if (key === 'http' && isPlainObject(value)) {
      out += 'http:\n';
      for (const [k, v] of fieldsOf(value)) {
        out += k === 'body' && Array.isArray(v) ? (v.length === 0 ? '  body: []\n' : `  body:\n${list(v, '    ', true)}`) : mapping([[k, v]], '  ');
      }
    } else out += mapping([[key, value]], '');
  }
  return out;
}
