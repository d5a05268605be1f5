/**
 * Secrets never reach disk. Redaction works on three levels:
 * - header names, JSON/form field names and query parameters that always carry credentials are
 *   blanked whatever their value looks like;
 * - any string anywhere (headers, bodies, URLs, raw stream bytes) loses values that look like keys
 *   and every exact secret value taken from the request, in the encodings it may be echoed in
 *   (JSON-escaped, \u-escaped, percent-encoded, form-encoded);
 * - users add their own header names, field names and patterns ({@link RedactOptions}).
 * Pure: the recorder calls it on everything before it is written.
 */
export const REDACTED = '[REDACTED]';

export const SECRET_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'cookie',
  'set-cookie',
  'openai-organization',
  'openai-project',
  // Azure API Management and Azure Functions keys; the session token of temporary AWS credentials.
  'ocp-apim-subscription-key',
  'x-functions-key',
  'x-amz-security-token',
]);

/**
 * JSON and form field names (compared lower-cased, exactly: `max_tokens` is not `token`) whose value is a
 * credential. Not `token`: OpenAI's logprobs use it for text.
 */
export const CREDENTIAL_FIELDS: ReadonlySet<string> = new Set([
  'api_key', 'apikey', 'api-key', 'x-api-key', 'access_token', 'accesstoken', 'refresh_token', 'refreshtoken',
  'id_token', 'idtoken', 'auth_token', 'authtoken', 'session_token', 'sessiontoken', 'client_secret', 'clientsecret',
  'secret', 'secret_key', 'secretkey', 'private_key', 'privatekey', 'password', 'passwd',
]);

/**
 * Query parameters that carry credentials (Gemini accepts `?key=`, Azure SAS `?sig=`, Azure API Management
 * `?subscription-key=`, Azure Functions `?code=`, a pre-signed AWS URL `?X-Amz-Security-Token=`), plus every
 * credential field name. Only as query parameters: a JSON field named `code` is not a secret.
 */
export const CREDENTIAL_QUERY_PARAMS: ReadonlySet<string> = new Set([
  'key', 'token', 'sig', 'subscription-key', 'code', 'x-amz-security-token', 'x-amz-signature', 'x-amz-credential', ...CREDENTIAL_FIELDS,
]);

/** What a user adds to the built-in rules. Names are case-insensitive. */
export interface RedactOptions {
  /** Header names whose value is always replaced and scrubbed everywhere, e.g. `x-internal-token`. */
  headers?: readonly string[];
  /** JSON body field names (any depth), form fields and query parameters treated like `api_key`. */
  bodyFields?: readonly string[];
  /** Extra patterns: every match, anywhere, is replaced. Write them in ASCII (raw bodies are matched byte-wise). */
  patterns?: readonly RegExp[];
}

/** Everything needed to redact one call: the rules plus the exact secret values its request carried. */
export interface Redaction {
  /** Exact values, longest first. */
  readonly secrets: readonly string[];
  readonly headers: ReadonlySet<string>;
  readonly fields: ReadonlySet<string>;
  readonly queryParams: ReadonlySet<string>;
  readonly patterns: readonly RegExp[];
  /**
   * The rules for what a provider said back (see {@link forResponse}); absent: the same rules as the
   * request's.
   */
  readonly response?: Redaction;
}

/** Functions take either a full {@link Redaction} or, as before, just a list of exact secrets. */
export type RedactionInput = Redaction | readonly string[];

// Key-shaped values from the common providers. Each needs a long random tail so prose is untouched.
// A key starts where a reader sees a new token: at the start, after a character that is not a letter or
// digit, or after a JSON escape whose last character is one (`\n`, `\t`, `\r`, `\b`, `\f`, `\u00e9`) —
// `\b` would miss those, as the `n` of `\n` is a word character. `task-...` does not start an `sk-` key.
const START = String.raw`(?:(?<![A-Za-z0-9])|(?<=\\[bfnrt]|\\u[0-9A-Fa-f]{4}))`;
// Where a key ends: not in the middle of a longer run of letters and digits.
const END = String.raw`(?![A-Za-z0-9])`;
// Whitespace as the reader sees it, also when JSON-escaped inside raw stream bytes.
const SPACE = String.raw`(?:\s|\\[nrt])`;
// Each pattern carries the literal every match contains. The start rule's lookbehinds keep V8 from
// scanning for a pattern's literal prefix, so the full pattern is tried at every position (six of them were
// half the recorder's time per streamed event); the literal is scanned for first and almost never found.
const keyPattern = (hint: string, body: string): { re: RegExp; hint: RegExp } => ({ re: new RegExp(START + body, 'g'), hint: new RegExp(hint) });
const KEY_PATTERNS = [
  keyPattern('sk-', String.raw`sk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}`),
  keyPattern('AIza', String.raw`AIza[0-9A-Za-z_-]{30,}`),
  keyPattern('(?:xai|gsk|hf|pplx|ghp|gho|github_pat|glpat|r8|fw|tgp_v1)_', String.raw`(?:xai|gsk|hf|pplx|ghp|gho|github_pat|glpat|r8|fw|tgp_v1)_[A-Za-z0-9_-]{16,}`),
  keyPattern('AKIA|ASIA', String.raw`(?:AKIA|ASIA)[0-9A-Z]{16}${END}`),
  keyPattern('[Bb]earer', String.raw`[Bb]earer${SPACE}+[A-Za-z0-9._~+/=-]{8,}`),
  keyPattern('eyJ', String.raw`eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}`),
];
// The shortest text any key pattern matches (`Bearer` + a space + 8).
const KEY_MIN_LENGTH = 15;

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const lower = (names: Iterable<string> = []): Set<string> => new Set([...names].map((n) => n.toLowerCase()));

/**
 * Build the rules for a call. Secrets shorter than 8 characters are dropped: they would shred ordinary text.
 * With `modelOutput`, the response is a model's output (a known LLM protocol): there the built-in field
 * names are no secret (a tool call's `{"password":"mellon"}` is what the model said), and only key shapes,
 * the exact secrets the request carried, the user's patterns and the user's own field names apply.
 */
export function createRedaction(options: RedactOptions = {}, secrets: readonly string[] = [], modelOutput = false): Redaction {
  const fields = new Set([...CREDENTIAL_FIELDS, ...lower(options.bodyFields)]);
  const base = {
    secrets: [...new Set(secrets.filter(isSecretWorthy))].sort((a, b) => b.length - a.length),
    headers: new Set([...SECRET_HEADERS, ...lower(options.headers)]),
    queryParams: new Set([...CREDENTIAL_QUERY_PARAMS, ...fields]),
    // Global so every match is replaced; a user's pattern without `g` would otherwise stop at the first.
    patterns: (options.patterns ?? []).map((re) => (re.global ? re : new RegExp(re.source, `${re.flags}g`))),
  };
  return modelOutput ? { ...base, fields, response: { ...base, fields: lower(options.bodyFields) } } : { ...base, fields };
}

/** The rules for a response's content: its own when the call's response is a model's output, else the request's. */
export const forResponse = (input: RedactionInput): Redaction => {
  const r = toRedaction(input);
  return r.response ?? r;
};

// A value inside "[REDACTED]" would reappear after every replacement, so it can never be hidden.
const isSecretWorthy = (s: string): boolean => s.length >= 8 && !REDACTED.includes(s);

const fromList = new WeakMap<readonly string[], Redaction>();
export function toRedaction(input: RedactionInput = []): Redaction {
  if (!Array.isArray(input)) return input as Redaction;
  const list = input as readonly string[];
  let r = fromList.get(list);
  if (!r) fromList.set(list, (r = createRedaction({}, list)));
  return r;
}

/** The forms a secret takes when an upstream echoes it: raw, JSON-escaped (also \u and \/ styles), percent- and form-encoded. */
function encodings(s: string): string[] {
  const u = (re: RegExp) => (t: string) => t.replace(re, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const json = JSON.stringify(s).slice(1, -1);
  // Escaped non-ASCII (Python), escaped <>& (Go), escaped slashes (PHP), in any combination.
  const out = [s];
  for (const a of [json, u(/[\u007f-\uffff]/g)(json)]) for (const b of [a, u(/[<>&]/g)(a)]) out.push(b, b.replace(/\//g, '\\/'));
  try {
    const uri = encodeURIComponent(s);
    // JS, WHATWG forms (URLSearchParams, browsers) and Python's quote_plus each leave a different set unescaped.
    const strict = (safe: RegExp) => uri.replace(/[!'()*~]/g, (c) => (safe.test(c) ? c : `%${c.charCodeAt(0).toString(16).toUpperCase()}`));
    for (const u of [uri, strict(/[*]/), strict(/[~]/), strict(/$^/)]) out.push(u, u.replace(/%20/g, '+'), u.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
    out.push(encodeURI(s));
  } catch {
    // A lone surrogate cannot be percent-encoded, so it cannot be echoed that way either.
  }
  return out;
}

interface Pass {
  re: RegExp;
  /** A literal every match contains (see keyPattern), and the shortest text that can match. */
  hint?: RegExp;
  minLength?: number;
  replace: (match: string, groups: string[]) => string;
  /** Also looked for in the text's decoded view (key shapes, exact secrets, user patterns; not the field rule). */
  decoded?: boolean;
}

const passCache = new WeakMap<Redaction, { text: Pass[]; bytes: Pass[] }>();
const latin1 = (s: string): string => String.fromCharCode(...new TextEncoder().encode(s));

function passes(r: Redaction, bytes: boolean): Pass[] {
  let cached = passCache.get(r);
  if (!cached) {
    const build = (view: (s: string) => string): Pass[] => {
      const list: Pass[] = [];
      const literals = [...new Set(r.secrets.flatMap(encodings).map(view))].filter(isSecretWorthy).sort((a, b) => b.length - a.length);
      if (literals.length) list.push({ re: new RegExp(literals.map(esc).join('|'), 'g'), replace: () => REDACTED, decoded: true });
      for (const { re, hint } of KEY_PATTERNS) list.push({ re, hint, minLength: KEY_MIN_LENGTH, replace: (m) => (m.toLowerCase().startsWith('bearer') ? `Bearer ${REDACTED}` : REDACTED), decoded: true });
      for (const re of r.patterns) list.push({ re, replace: () => REDACTED, decoded: true });
      // "password": "..." or a number, in any JSON text (raw stream bytes included); nested objects are walked by redactValue.
      const names = [...r.fields].map(esc).join('|');
      if (names !== '') list.push({ re: new RegExp(`("(?:${names})"\\s*:\\s*)(?:"(?:[^"\\\\]|\\\\.)*"|-?\\d[\\d.eE+-]*)`, 'gi'), replace: (_m, g) => `${g[0]}"${REDACTED}"` });
      return list;
    };
    cached = { text: build((s) => s), bytes: build(latin1) };
    passCache.set(r, cached);
  }
  return bytes ? cached.bytes : cached.text;
}

interface Edit {
  start: number;
  end: number;
  rep: string;
}

/**
 * Apply ascending, non-overlapping edits to `text`. `bounds` move with them: a bound inside an edited
 * range moves to the end of its replacement (the match is replaced whole in the piece it starts in).
 */
function applyEdits(text: string, edits: readonly Edit[], bounds?: number[]): string {
  if (edits.length === 0) return text;
  let out = '';
  let last = 0;
  let shift = 0;
  const moved = bounds?.map((b) => ({ b, to: b }));
  for (const { start, end, rep } of edits) {
    out += text.slice(last, start) + rep;
    last = end;
    if (moved) {
      for (const x of moved) {
        if (x.b > start && x.b < end) x.to = start + shift + rep.length;
        else if (x.b >= end) x.to = x.b + shift + rep.length - (end - start);
      }
    }
    shift += rep.length - (end - start);
  }
  if (bounds && moved) moved.forEach((x, i) => (bounds[i] = x.to));
  return out + text.slice(last);
}

/** Every non-empty match of `re` in `text`, in order. */
function matchesOf(re: RegExp, text: string): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[0] === '') re.lastIndex++;
    else out.push(m);
  }
  return out;
}

// An escape a reader would see through: `\u0073` is "s" and `%73` is "s" to whoever decodes the text.
const ENCODED = /\\u[0-9A-Fa-f]{4}|\\[\/"\\]|%[0-9A-Fa-f]{2}/;

const HEX2 = /^[0-9A-Fa-f]{2}$/;
const HEX4 = /^[0-9A-Fa-f]{4}$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Latin1 = (s: string): string => String.fromCharCode(...new TextEncoder().encode(s));

/** The `%XX` byte at `i`, or -1. */
const pctByte = (text: string, i: number): number => (text[i] === '%' && HEX2.test(text.slice(i + 1, i + 3)) ? parseInt(text.slice(i + 1, i + 3), 16) : -1);

/**
 * One escape at `i` decoded: the character(s) a reader sees and how many characters of `text` it took,
 * or undefined when there is none. `\uXXXX` (surrogate pairs joined), `\/`, `\"`, `\\`, and `%XX`
 * sequences that form one UTF-8 character. In bytes mode (text is Latin-1 bytes) the result is bytes too.
 */
function decodeAt(text: string, i: number, bytes: boolean): { ch: string; len: number } | undefined {
  const c = text[i];
  if (c === '\\') {
    const next = text[i + 1];
    if (next === '/' || next === '"' || next === '\\') return { ch: next, len: 2 };
    if (next !== 'u' || !HEX4.test(text.slice(i + 2, i + 6))) return undefined;
    let ch = String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
    let len = 6;
    const lo = text.slice(i + 8, i + 12);
    if (/[\uD800-\uDBFF]/.test(ch) && text.slice(i + 6, i + 8) === '\\u' && HEX4.test(lo) && /[\uDC00-\uDFFF]/.test(String.fromCharCode(parseInt(lo, 16)))) {
      ch += String.fromCharCode(parseInt(lo, 16));
      len = 12;
    }
    return { ch: bytes ? utf8Latin1(ch) : ch, len };
  }
  const b0 = pctByte(text, i);
  if (b0 < 0) return undefined;
  if (bytes) return { ch: String.fromCharCode(b0), len: 3 };
  const n = b0 < 0x80 ? 1 : b0 >= 0xf0 ? 4 : b0 >= 0xe0 ? 3 : b0 >= 0xc0 ? 2 : 0;
  const seq: number[] = [];
  for (let k = 0; k < n; k++) seq.push(pctByte(text, i + 3 * k));
  if (n === 0 || seq.some((x) => x < 0)) return undefined;
  try {
    return { ch: strictUtf8.decode(Uint8Array.from(seq)), len: 3 * n };
  } catch {
    return undefined;
  }
}

/**
 * `text` with its JSON and percent escapes decoded (see {@link decodeAt}), and for each character of the
 * result the range of `text` it came from. Other escapes such as `\n` stay two characters, so the key
 * patterns' start rule still sees them.
 */
function decodedView(text: string, bytes: boolean): { view: string; from: number[]; to: number[] } {
  let view = '';
  const from: number[] = [];
  const to: number[] = [];
  for (let i = 0; i < text.length; ) {
    const d = decodeAt(text, i, bytes);
    const ch = d?.ch ?? (text[i] === '\\' ? text.slice(i, i + 2) : text[i]!);
    const len = d?.len ?? ch.length;
    for (let k = 0; k < ch.length; k++) {
      view += ch[k];
      from.push(i);
      to.push(i + len);
    }
    i += len;
  }
  return { view, from, to };
}

/**
 * Matches a reader would see once the text's escapes are decoded (a key written `\u0073k-…` or `sk%2D…`),
 * as ranges of `text` to replace. Empty when the text has no escapes.
 */
function encodedEdits(text: string, list: readonly Pass[], bytes: boolean): Edit[] {
  const { view, from, to } = decodedView(text, bytes);
  if (view === text) return [];
  const ranges: Array<[number, number]> = [];
  for (const { re, decoded } of list) {
    if (!decoded) continue;
    for (const m of matchesOf(re, view)) ranges.push([from[m.index]!, to[m.index + m[0].length - 1]!]);
  }
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const edits: Edit[] = [];
  for (const [s, e] of ranges) {
    const prev = edits[edits.length - 1];
    if (prev && s < prev.end) prev.end = Math.max(prev.end, e);
    else edits.push({ start: s, end: e, rep: REDACTED });
  }
  // Only edits that change something: a match on already-redacted text must not loop.
  return edits.filter((x) => text.slice(x.start, x.end) !== REDACTED);
}

/**
 * Apply every pass to `text`, then the same passes to its decoded view (see {@link decodedView}).
 * `bounds` (ascending offsets, e.g. where one read ends and the next starts) are moved along with the
 * edits: a match that straddles a bound is replaced whole in the piece it starts in. With `until`, only
 * matches that start before `bounds[until]` are replaced; the text after it is left for later.
 */
export function applyRedaction(text: string, r: Redaction, opts: { bytes?: boolean; bounds?: number[]; until?: number } = {}): string {
  const { bytes = false, bounds, until } = opts;
  const list = passes(r, bytes);
  let out = text;
  for (const { re, hint, minLength = 0, replace } of list) {
    if (out.length < minLength || (hint && !hint.test(out))) continue;
    re.lastIndex = 0;
    if (!re.test(out)) continue;
    // Matches that start at or after this offset are left for a later call (see `until`); read it after
    // each pass, as the edits move the bounds.
    const limit = until !== undefined && bounds ? bounds[until]! : Infinity;
    const edits = matchesOf(re, out)
      .filter((m) => m.index < limit)
      .map((m) => ({ start: m.index, end: m.index + m[0].length, rep: replace(m[0], m.slice(1)) }));
    out = applyEdits(out, edits, bounds);
  }
  // Most text has no escapes: skip building the decoded view.
  if (!ENCODED.test(out)) return out;
  const limit = until !== undefined && bounds ? bounds[until]! : Infinity;
  const edits = encodedEdits(out, list, bytes).filter((x) => x.start < limit);
  return edits.length === 0 ? out : applyEdits(out, edits, bounds);
}

/** Replace key-shaped substrings, credential JSON fields and the given exact secrets. Idempotent. */
export function redactString(text: string, secrets: RedactionInput = []): string {
  return applyRedaction(text, toRedaction(secrets));
}

/** Redact bytes that may not be UTF-8 (a cut multi-byte character, a binary body): matched byte-wise. */
export function redactBytes(bytes: Uint8Array, secrets: RedactionInput = []): Uint8Array {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const out = applyRedaction(view, toRedaction(secrets), { bytes: true });
  return out === view ? bytes : new Uint8Array(Buffer.from(out, 'latin1'));
}

/** Deep-redact any JSON-like value: every string and key, and the whole value of a credential field. */
export function redactValue<T>(value: T, secrets: RedactionInput = []): T {
  const r = toRedaction(secrets);
  if (typeof value === 'string') return redactString(value, r) as T;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, r)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const credential = r.fields.has(k.toLowerCase()) && (typeof v === 'string' || typeof v === 'number');
      out[redactString(k, r)] = credential ? REDACTED : redactValue(v, r);
    }
    return out as T;
  }
  return value;
}

// Headers whose value is a URL: its credential query parameters (`?code=`, `?sig=`...) are blanked too.
const URL_HEADERS: ReadonlySet<string> = new Set(['location', 'content-location', 'referer', 'refresh']);

export function redactHeaderValue(name: string, value: string, secrets: RedactionInput = []): string {
  const r = toRedaction(secrets);
  const lname = name.toLowerCase();
  if (r.headers.has(lname)) return REDACTED;
  return URL_HEADERS.has(lname) ? redactUrl(value, r) : redactString(value, r);
}

export function redactHeaderRecord(headers: Record<string, string>, secrets: RedactionInput = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = redactHeaderValue(k, v, secrets);
  return out;
}

export function redactHeaderPairs(pairs: Array<[string, string]>, secrets: RedactionInput = []): Array<[string, string]> {
  return pairs.map(([k, v]) => [k, redactHeaderValue(k, v, secrets)]);
}

/** Blank credential `name=value` pairs of a query string or form body, keeping everything else byte-identical. */
export function redactForm(form: string, secrets: RedactionInput = []): string {
  const r = toRedaction(secrets);
  return form
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      let name = eq < 0 ? pair : pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // Keep a malformed name as it is.
      }
      return eq >= 0 && r.queryParams.has(name.toLowerCase()) ? `${pair.slice(0, eq)}=${encodeURIComponent(REDACTED)}` : pair;
    })
    .join('&');
}

/** Redact credential query parameters in a path+query, and secrets anywhere in it. */
export function redactUrl(url: string, secrets: RedactionInput = []): string {
  const r = toRedaction(secrets);
  const q = url.indexOf('?');
  return redactString(q < 0 ? url : `${url.slice(0, q)}?${redactForm(url.slice(q + 1), r)}`, r);
}

export { collectSecrets, requestRedaction } from './redact-collect.js';
