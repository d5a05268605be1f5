/**
 * One recorded call for the end-to-end redaction property: where the request carries each secret
 * (its source, which tells the recorder it is a secret), and where the secrets show up again: in the
 * URL path, the request body, and echoed by the upstream in headers, events, lines or a raw body, cut
 * across two reads, or in a stream that drops mid-event.
 */
import fc from 'fast-check';
import { request } from 'node:http';
import type { Script } from '../fakes/index.js';

export const CUSTOM_HEADER = 'x-internal-token';
export const CUSTOM_FIELD = 'session_ref';

export type SourceKind =
  | 'bearer' | 'basic' | 'x-api-key' | 'api-key' | 'x-goog-api-key' | 'proxy-authorization' | 'cookie' | 'custom-header'
  | 'query' | 'body-field' | 'custom-field';
export type BodyKind = 'json' | 'form' | 'text';
export type Framing = 'sse' | 'ndjson' | 'raw';

export interface Secret {
  value: string;
  source: SourceKind;
  /** Field or parameter name for query and body sources, in any letter case. */
  name: string;
  depth: number;
}

export interface Plan {
  secrets: Secret[];
  body: BodyKind;
  inPath: boolean;
  framing: Framing;
  echo: { header: boolean; setCookie: boolean; data: boolean; event: boolean; id: boolean; comment: boolean };
  split: boolean;
  drop: boolean;
  spill: boolean;
  /** Stream the secrets as content, this many characters per event (0: not at all). */
  across: number;
  /** Also echo the secrets with every character escaped: `\\uXXXX` in JSON, or `%XX` in a URL-ish string. */
  escaped: 'none' | 'unicode' | 'percent';
  /**
   * A key-shaped value the request does not carry (so only the key patterns can find it), echoed after a
   * newline wherever the secrets are echoed. Null: none.
   */
  keyShaped: string | null;
}

/** Every value the plan's upstream echoes and no file may keep. */
export const leakable = (plan: Plan): string[] => [...plan.secrets.map((s) => s.value), ...(plan.keyShaped ? [plan.keyShaped] : [])];

const PRINTABLE = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i));
const COOKIE_SAFE = PRINTABLE.filter((c) => !';,"\\'.includes(c));
const UNICODE = ['é', 'ß', 'ø', '日', '本', '😀', 'Ж'];
const CREDENTIAL_NAMES = ['api_key', 'API_KEY', 'apiKey', 'access_token', 'Refresh_Token', 'client_secret', 'password', 'secret', 'apikey'];
const QUERY_NAMES = ['key', 'api_key', 'access_token', 'token', 'client_secret', 'sig', 'password'];

// Basic and Bearer share the authorization header, so a plan has at most one of them (see planArb).
// Secret-like: no surrounding whitespace, at least four distinct characters, and not a piece of "[REDACTED]"
// (such a value cannot be hidden: the replacement itself would show it).
// Nor a piece of TraceForge's own words (fast-check likes "constructor", and a spilled trace's note says "reconstructed").
const OWN_WORDS = 'not reconstructed: the body was bytes in pieces, over the in-memory limit; the chunks are complete constructor __proto__';
const secretLike = (s: string): boolean => s.length >= 8 && new Set(s).size >= 4 && !'[REDACTED]'.includes(s) && !OWN_WORDS.includes(s);

/** A random alphabet (at least 4 characters of `chars`), then a secret of 8-24 characters drawn from it. */
const secretFrom = (chars: string[]) =>
  fc.shuffledSubarray(chars, { minLength: 4 }).chain((al) => fc.string({ unit: fc.constantFrom(...al), minLength: 8, maxLength: 24 })).filter(secretLike);

const HEADER_SOURCES: SourceKind[] = ['bearer', 'basic', 'x-api-key', 'api-key', 'x-goog-api-key', 'proxy-authorization', 'cookie', 'custom-header', 'query'];

function secretArb(source: SourceKind) {
  const chars = source === 'cookie' ? COOKIE_SAFE : source === 'body-field' || source === 'custom-field' ? [...PRINTABLE, ...UNICODE] : PRINTABLE;
  const names = source === 'query' ? QUERY_NAMES : source === 'custom-field' ? [CUSTOM_FIELD, 'Session_Ref'] : CREDENTIAL_NAMES;
  return fc.record({ value: secretFrom(chars), source: fc.constant(source), name: fc.constantFrom(...names), depth: fc.integer({ min: 0, max: 2 }) });
}

const tail = (chars: string, min: number, max = min) => fc.string({ unit: fc.constantFrom(...chars), minLength: min, maxLength: max });
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const URLSAFE = `${ALNUM}_-`;
/** The key shapes of the common providers (see KEY_PATTERNS in src/trace/redact.ts). */
const keyShapeArb: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom('sk-', 'sk-proj-', 'sk-ant-', 'sk-svcacct-'), tail(ALNUM, 20, 48)).map(([p, t]) => p + t),
  tail(URLSAFE, 35).map((t) => `AIza${t}`),
  fc.tuple(fc.constantFrom('gsk_', 'hf_', 'ghp_', 'xai_', 'glpat_'), tail(ALNUM, 20, 40)).map(([p, t]) => p + t),
  fc.tuple(fc.constantFrom('AKIA', 'ASIA'), tail('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)).map(([p, t]) => p + t),
  fc.tuple(tail(URLSAFE, 12, 30), tail(URLSAFE, 12, 30), tail(URLSAFE, 12, 30)).map(([a, b, c]) => `eyJ${a}.${b}.${c}`),
);

export const planArb: fc.Arbitrary<Plan> = fc.constantFrom<BodyKind>('json', 'form', 'text').chain((body) => {
  const sources: SourceKind[] = body === 'text' ? HEADER_SOURCES : [...HEADER_SOURCES, 'body-field', 'custom-field'];
  return fc.record({
    secrets: fc.uniqueArray(fc.constantFrom(...sources), { minLength: 1, maxLength: 2, selector: (k) => (k === 'basic' ? 'bearer' : k) }).chain((kinds) => fc.tuple(...kinds.map(secretArb))),
    body: fc.constant(body),
    inPath: fc.boolean(),
    framing: fc.constantFrom<Framing>('sse', 'ndjson', 'raw'),
    echo: fc.record({ header: fc.boolean(), setCookie: fc.boolean(), data: fc.boolean(), event: fc.boolean(), id: fc.boolean(), comment: fc.boolean() }),
    split: fc.boolean(),
    drop: fc.boolean(),
    spill: fc.boolean(),
    across: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 9 })),
    escaped: fc.constantFrom<Plan['escaped']>('none', 'unicode', 'percent'),
    keyShaped: fc.option(keyShapeArb, { nil: null }),
  });
});

const nest = (name: string, value: string, depth: number): Record<string, unknown> =>
  depth === 0 ? { [name]: value } : depth === 1 ? { auth: { [name]: value } } : { creds: [{ kind: 'x', [name]: value }] };

/** Two secrets at the same depth share `auth` or `creds`: merge, so neither replaces the other. */
function merge(into: Record<string, unknown>, add: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(add)) {
    const have = into[k];
    if (Array.isArray(have) && Array.isArray(v)) have.push(...v);
    else if (have && typeof have === 'object' && v && typeof v === 'object') Object.assign(have, v);
    else into[k] = v;
  }
}

/** The request the app sends: path, headers and body carrying every secret at its source. */
export function buildRequest(plan: Plan): { path: string; headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = {};
  const query: string[] = ['alt=sse'];
  const fields: Record<string, unknown> = {};
  const cookies: string[] = [];
  for (const s of plan.secrets) {
    const v = s.value;
    if (s.source === 'bearer') headers.authorization = `Bearer ${v}`;
    else if (s.source === 'basic') headers.authorization = `Basic ${Buffer.from(`user:${v}`).toString('base64')}`;
    else if (s.source === 'proxy-authorization') headers['proxy-authorization'] = `Bearer ${v}`;
    else if (s.source === 'cookie') cookies.push(`sid=${v}`, 'theme=dark');
    else if (s.source === 'custom-header') headers[CUSTOM_HEADER] = v;
    else if (s.source === 'query') query.push(`${s.name}=${encodeURIComponent(v)}`);
    else if (s.source === 'body-field' || s.source === 'custom-field') merge(fields, nest(s.name, v, s.depth));
    else headers[s.source] = v;
  }
  if (cookies.length) headers.cookie = cookies.join('; ');
  const all = plan.secrets.map((s) => s.value).join(' ');
  let body: string;
  if (plan.body === 'json') {
    headers['content-type'] = 'application/json';
    body = JSON.stringify({ model: 'm', stream: plan.framing !== 'raw', max_tokens: 16, messages: [{ role: 'user', content: `echo ${all}` }], ...fields });
  } else if (plan.body === 'form') {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    const form = new URLSearchParams({ model: 'm', note: `echo ${all}` });
    for (const s of plan.secrets) if (s.source === 'body-field' || s.source === 'custom-field') form.append(s.name, s.value);
    body = form.toString();
  } else {
    headers['content-type'] = 'text/plain; charset=utf-8';
    body = `echo ${all}\n`;
  }
  const segment = plan.inPath ? `/${encodeURIComponent(plan.secrets[0]!.value)}` : '';
  return { path: `/v1${segment}/chat/completions?${query.join('&')}`, headers, body };
}

const ascii = (s: string) => /^[\x21-\x7e]+$/.test(s);

/** Every UTF-16 unit as `\\uXXXX` (what a JSON writer that escapes everything sends). */
export const unicodeEscaped = (s: string): string => s.split('').map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
/** Every UTF-8 byte as `%XX`. */
export const percentEncoded = (s: string): string => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

/** Events that carry `text` as content, `size` characters (code points) each, in the framing's usual shape. */
function contentEvents(text: string, size: number, framing: Framing, escape?: (piece: string) => string): string[] {
  const points = [...text];
  const out: string[] = [];
  for (let i = 0; i < points.length; i += size) {
    const piece = points.slice(i, i + size).join('');
    // An escaping writer: the JSON string is written with every character escaped.
    const str = escape ? `"${escape(piece)}"` : JSON.stringify(piece);
    if (framing === 'sse') out.push(`data: {"choices":[{"index":0,"delta":{"content":${str}}}]}\n\n`);
    else out.push(`{"message":{"role":"assistant","content":${str}},"done":false}\n`);
  }
  return out;
}

/** What the echoing upstream answers for this plan. */
export function echoScript(plan: Plan): Script {
  // The key-shaped value follows a newline: in JSON it is written `\\nsk-…`.
  const values = [...plan.secrets.map((s) => s.value), ...(plan.keyShaped ? [`\n${plan.keyShaped}`] : [])];
  const lineSafe = values.map((v) => v.replace(/\n/g, ' ')).join(' ');
  const headers: Record<string, string | string[]> = {
    'content-type': plan.framing === 'sse' ? 'text/event-stream' : plan.framing === 'ndjson' ? 'application/x-ndjson' : 'application/json',
  };
  const headerSafe = values.filter(ascii);
  if (plan.echo.header && headerSafe.length) headers['x-echo'] = headerSafe.join(' ');
  if (plan.echo.setCookie && headerSafe.length) headers['set-cookie'] = headerSafe.map((v, i) => `s${i}=${encodeURIComponent(v)}; Path=/`);
  const echoed = plan.echo.data || plan.split || plan.framing === 'raw' ? values : [];
  let frames: string[];
  let tail: string;
  if (plan.framing === 'sse') {
    const first =
      `event: ${plan.echo.event ? lineSafe : 'delta'}\n` + `id: ${plan.echo.id ? lineSafe : '1'}\n` + `: ${plan.echo.comment ? lineSafe : 'keep-alive'}\n` + `data: ${JSON.stringify({ echo: echoed })}\n\n`;
    frames = [first, 'data: {"n":2}\n\n'];
    tail = `data: ${JSON.stringify({ late: values })}`;
  } else if (plan.framing === 'ndjson') {
    frames = [`${JSON.stringify({ echo: echoed, n: 1 })}\n`, '{"n":2}\n'];
    tail = JSON.stringify({ late: values });
  } else {
    frames = [JSON.stringify({ id: 'x', echo: echoed, pad: 'p'.repeat(64) })];
    tail = JSON.stringify({ late: values });
  }
  if (plan.framing !== 'raw') {
    const escape = plan.escaped === 'unicode' ? unicodeEscaped : undefined;
    const text = plan.escaped === 'percent' ? values.map(percentEncoded).join(' ') : values.join(' ');
    if (plan.across > 0) frames.push(...contentEvents(`echo: ${text} done`, plan.across, plan.framing, escape));
    else if (plan.escaped !== 'none') frames.push(...contentEvents(`echo: ${text} done`, 1e6, plan.framing, escape));
  }
  if (plan.split) {
    // Cut the first frame inside the first secret (in the form it was written in), into two writes.
    const f = frames[0]!;
    const at = [values[0]!, JSON.stringify(values[0]!).slice(1, -1)].map((x) => f.indexOf(x)).find((i) => i >= 0) ?? -1;
    const cut = at >= 0 ? at + 3 : Math.floor(f.length / 2);
    frames.splice(0, 1, f.slice(0, cut), f.slice(cut));
  }
  if (plan.drop) frames.push(tail);
  return {
    status: 200,
    headers,
    frames: frames.map((bytes, i) => ({ bytes, gapMs: i === 0 ? 0 : 4 })),
    ...(plan.drop ? { dropAfter: frames.length } : {}),
  };
}

/** Send the request and read the whole answer; a dropped stream resolves too. */
export function send(base: string, req: { path: string; headers: Record<string, string>; body: string }): Promise<string> {
  return new Promise((resolve) => {
    const u = new URL(base);
    let text = '';
    const r = request({ host: u.hostname, port: u.port, path: req.path, method: 'POST', headers: req.headers }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
      res.on('aborted', () => resolve(text));
      res.on('error', () => resolve(text));
    });
    r.on('error', () => resolve(text));
    r.end(req.body);
  });
}
