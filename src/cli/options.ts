import { TraceForgeError } from '../errors.js';
import { parseHttpUrl } from '../util/http-url.js';
import { shortText } from '../util/one-line.js';
import { MAX_TIMER_MS } from '../util/real-timers.js';

/**
 * One flag of a command. The type decides how it is parsed: `boolean` never takes the next word as its
 * value (`--json CASSETTE` keeps the cassette); `string` and `number` need a value and may be given once;
 * `strings` may be given several times and always arrives as an array. A `number` is checked by its
 * `parse` (default: a number >= 0); a string's `parse`, when it has one, checks each value and gives
 * the command what it returns (a URL, say).
 */
export interface OptionSpec {
  readonly flag: `--${string}`;
  readonly type: 'string' | 'strings' | 'number' | 'boolean';
  readonly description: string;
  /** Shown in the help and used when the flag is absent. */
  readonly default?: string | number | boolean;
  readonly parse?: (text: string, flag: string) => unknown;
}

/** `--redact-header` -> `redact-header`; `--no-backup` -> `backup` (true unless the flag is given). */
export type OptionName<F extends string> = F extends `--no-${infer N}` ? N : F extends `--${infer N}` ? N : never;

type Parsed<O extends OptionSpec> = O extends { parse: (text: string, flag: string) => infer V } ? V : O['type'] extends 'number' ? number : string;

type OptionValue<O extends OptionSpec> = O['type'] extends 'boolean'
  ? boolean
  : O['type'] extends 'strings'
    ? Parsed<O>[]
    : Parsed<O> | (O extends { default: string | number } ? never : undefined);

/**
 * The options a command receives, inferred from its table (declared `as const`): `--limit` (number)
 * becomes `limit: number | undefined`, `--traces` with a default `traces: string`, `--fault` (strings)
 * `fault: string[]`.
 */
export type OptionsOf<T extends readonly OptionSpec[]> = { readonly [O in T[number] as OptionName<O['flag']>]: OptionValue<O> };

export const optionName = (o: OptionSpec): string => o.flag.slice(2).replace(/^no-/, '');

/**
 * The parsed flags in the shapes the table promises: a boolean is true or false, a repeatable flag is
 * always an array, a number is checked and converted, a flag that needs a value and got none is a usage
 * error here (not a `true` a command would have to check for), and so is a single-value flag given twice.
 */
export function typedOptions<const T extends readonly OptionSpec[]>(options: T, raw: Record<string, unknown>): OptionsOf<T> {
  const out: Record<string, unknown> = {};
  for (const o of options) {
    const name = optionName(o);
    const v = raw[name];
    if (o.type === 'boolean') {
      // The parser sets `backup: false` for `--no-backup`; other booleans are off unless given.
      out[name] = o.flag.startsWith('--no-') ? v !== false : v === undefined ? o.default === true : v === true;
      continue;
    }
    const values = v === undefined ? [] : ([] as unknown[]).concat(v);
    if (values.some((x) => x === true || x === '')) throw new TraceForgeError('E_USAGE', `${o.flag} needs a value`);
    const parse = o.parse ?? (o.type === 'number' ? parseNumber(0) : undefined);
    const parsed = values.map((x) => (parse ? parse(String(x), o.flag) : String(x)));
    if (o.type === 'strings') out[name] = parsed;
    else if (parsed.length > 1) throw new TraceForgeError('E_USAGE', `${o.flag} was given ${parsed.length} times; give it once`);
    else out[name] = parsed[0];
  }
  return out as OptionsOf<T>;
}

/** Value checks for the tables, so every bad flag value gets the same kind of message. */
export const parsePort = (text: string, flag: string): number => {
  // Decimal digits only: Number() would also take 0x2328, 1e3, 0b1 and ' 80 '.
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new TraceForgeError('E_USAGE', `${flag} must be a port number 0-65535, got "${shortText(text)}" (decimal digits only)`);
  return Number(text);
};

/** A number flag from `min` (to `max`, when given: a duration that feeds a timer stops at MAX_TIMER_MS). */
export const parseNumber =
  (min: number, max = Infinity) =>
  (text: string, flag: string): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new TraceForgeError('E_USAGE', `${flag} must be a number ${range(min, max)}, got "${shortText(text)}"`);
    return n;
  };

/** A whole-number flag (`--limit 20`). */
export const parseWhole =
  (min: number, max = Infinity) =>
  (text: string, flag: string): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new TraceForgeError('E_USAGE', `${flag} must be a whole number ${range(min, max)}, got "${shortText(text)}"`);
    return n;
  };

const range = (min: number, max: number): string => (max === Infinity ? `>= ${min}` : `from ${min} to ${max}${max === MAX_TIMER_MS ? " (ms; Node's timer limit, about 24.8 days)" : ''}`);

/** A duration in ms that a timer waits for: Node's timers take at most MAX_TIMER_MS. */
export const parseTimerMs = (min: number) => parseWhole(min, MAX_TIMER_MS);

export const parseUrl = (text: string, flag: string): URL => parseHttpUrl(text, flag);

/** `record --mode`: the VCR modes that write a cassette (`none` records nothing: that is `traceforge replay`). */
export const parseCassetteMode = (text: string, flag: string): 'new_episodes' | 'all' | 'once' => {
  if (text === 'new_episodes' || text === 'all' || text === 'once') return text;
  const hint = text === 'none' ? ': none records nothing (to serve a cassette, run traceforge replay)' : '';
  throw new TraceForgeError('E_USAGE', `${flag} must be new_episodes, all or once, got "${shortText(text)}"${hint}`);
};
