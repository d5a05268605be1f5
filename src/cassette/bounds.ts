import { TraceForgeError } from '../errors.js';
import { shortText } from '../util/one-line.js';

/**
 * Limits on what one cassette document may hold, checked before a YAML parser builds anything from it.
 * The `yaml` library spends about 3.5 KB and 30 µs per list item (a 10^6-chunk interaction: 101 s and
 * 3.6 GB), 1.2 GB on a 32 MB double-quoted string, compares a mapping's keys pairwise (10,000 keys:
 * 2.4 s) and recurses once per level of nesting. Any reader (today's `yaml`, a faster one later) calls
 * {@link limitError} with the same limits, so the refusals read the same.
 */
export interface CassetteLimits {
  /** Items in one list. An interaction's `chunks` (and `http.body` reads) are the longest list a recording has. */
  maxChunks: number;
  /** Entries in one mapping. */
  maxKeys: number;
  /** Bytes of one scalar as written in the file (quotes, escapes and continuation lines included). */
  maxScalarBytes: number;
  /** Lists and mappings inside one another, block and flow together. */
  maxDepth: number;
}

/**
 * Far above any recording: the longest real streams have 10-100k chunks (the fixtures: at most 676 events
 * and a 23 KB line), a request a few hundred keys in one object and 10-20 levels of nesting.
 */
export const DEFAULT_LIMITS: Readonly<CassetteLimits> = Object.freeze({
  maxChunks: 250_000,
  maxKeys: 2_000,
  maxScalarBytes: 16 * 1024 * 1024,
  maxDepth: 128,
});

/** The environment variable that raises each limit (also settable per call: `loadCassette(path, { limits })`). */
export const LIMIT_ENV: Readonly<Record<keyof CassetteLimits, string>> = Object.freeze({
  maxChunks: 'TRACEFORGE_MAX_CHUNKS',
  maxKeys: 'TRACEFORGE_MAX_KEYS',
  maxScalarBytes: 'TRACEFORGE_MAX_SCALAR_BYTES',
  maxDepth: 'TRACEFORGE_MAX_DEPTH',
});

const KEYS = Object.keys(DEFAULT_LIMITS) as Array<keyof CassetteLimits>;

/**
 * The limits in force: `overrides` first, then the environment (`env` is passed in: this module touches
 * no process state), then the defaults. A value that is not a positive whole number is a usage error.
 */
export function resolveLimits(env: Record<string, string | undefined> = {}, overrides: Partial<CassetteLimits> = {}): CassetteLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const key of KEYS) {
    const given = overrides[key];
    const raw = given !== undefined ? String(given) : env[LIMIT_ENV[key]];
    if (raw === undefined || raw === '') continue;
    if (!/^[1-9][0-9]{0,15}$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
      const name = given !== undefined ? `limits.${key}` : LIMIT_ENV[key];
      throw new TraceForgeError('E_USAGE', `${name}=${shortText(raw, 40)} is not a positive whole number: give the limit as digits, e.g. ${LIMIT_ENV[key]}=${DEFAULT_LIMITS[key] * 4}`);
    }
    out[key] = Number(raw);
  }
  return out;
}

const WHAT: Record<keyof CassetteLimits, (limit: number, where: string) => string> = {
  maxChunks: (n, where) => `more than ${n} items in ${where}`,
  maxKeys: (n, where) => `more than ${n} entries in ${where}`,
  maxScalarBytes: (n) => `a value longer than ${n} bytes`,
  maxDepth: (n) => `lists and mappings nested more than ${n} deep`,
};

/**
 * The one-line refusal for a document over a limit: which file and line, which interaction (`index`, or
 * undefined for the cassette's header), which limit, and how to raise it.
 * `where` names the list or mapping (`its chunks`, `a list`).
 */
export function limitError(file: string, line: number, index: number | undefined, limit: keyof CassetteLimits, limits: CassetteLimits, where = limit === 'maxKeys' ? 'a mapping' : 'a list'): TraceForgeError {
  const who = index === undefined ? 'the cassette header' : `interactions[${index}]`;
  const n = limits[limit];
  return new TraceForgeError(
    'E_CASSETTE_LIMIT',
    `${shortText(file)}:${line}: ${who} has ${WHAT[limit](n, where)} (limit ${limit}=${n}); refused before parsing, as a hostile or corrupt cassette would be. If it is a real recording, raise the limit: ${LIMIT_ENV[limit]}=${n * 4}, or loadCassette(path, { limits: { ${limit}: ${n * 4} } })`,
    { detail: { limit, value: n, index, line } },
  );
}
