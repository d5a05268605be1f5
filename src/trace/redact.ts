/**
 * Secrets never reach disk. Redaction works on two levels:
 * - header names that always carry credentials are blanked whatever their value looks like;
 * - any string anywhere (headers, bodies, URLs, raw stream bytes) loses values that look like
 *   keys, and every exact secret value taken from the request.
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
]);

/** Query parameters that carry credentials (Gemini accepts `?key=`). */
const SECRET_QUERY_PARAMS = new Set(['key', 'api_key', 'apikey', 'access_token', 'token']);

// Key-shaped values from the common providers. Each needs a long random tail so prose is untouched.
const KEY_PATTERNS: RegExp[] = [
  /\bsk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}/g,
  /\bAIza[0-9A-Za-z_-]{30,}/g,
  /\b(?:xai|gsk|hf|pplx|ghp|gho|github_pat|glpat|r8|fw|tgp_v1)_[A-Za-z0-9_-]{16,}/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\b[Bb]earer\s+[A-Za-z0-9._~+/=-]{8,}/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g,
];

/** Exact values a request carried in its credential headers, so they can be scrubbed from any text. */
export function collectSecrets(headers: Record<string, string | string[] | undefined>, url?: string): string[] {
  const found = new Set<string>();
  const add = (v: string) => {
    const t = v.trim();
    // Very short values (e.g. "x") would shred ordinary text and are not credentials worth hiding.
    if (t.length >= 8) found.add(t);
  };
  for (const [name, value] of Object.entries(headers)) {
    if (!SECRET_HEADERS.has(name.toLowerCase()) || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      add(v);
      const bearer = /^\s*(?:bearer|basic|token)\s+(.+)$/i.exec(v);
      if (bearer) add(bearer[1]!);
      if (/cookie/i.test(name)) {
        for (const part of v.split(';')) {
          const eq = part.indexOf('=');
          if (eq > 0) add(part.slice(eq + 1).split(';')[0]!);
        }
      }
    }
  }
  if (url) {
    const q = url.indexOf('?');
    if (q >= 0) {
      for (const [k, v] of new URLSearchParams(url.slice(q + 1))) if (SECRET_QUERY_PARAMS.has(k.toLowerCase())) add(v);
    }
  }
  // Longest first, so a secret that contains another is replaced whole.
  return [...found].sort((a, b) => b.length - a.length);
}

/** Replace key-shaped substrings and the given exact secrets. Idempotent. */
export function redactString(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  for (const re of KEY_PATTERNS) out = out.replace(re, (m) => (m.toLowerCase().startsWith('bearer') ? `Bearer ${REDACTED}` : REDACTED));
  return out;
}

/** Deep-redact any JSON-like value: every string, including object keys' values. */
export function redactValue<T>(value: T, secrets: readonly string[] = []): T {
  if (typeof value === 'string') return redactString(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, secrets)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redactValue(v, secrets);
    return out as T;
  }
  return value;
}

export function redactHeaderValue(name: string, value: string, secrets: readonly string[] = []): string {
  return SECRET_HEADERS.has(name.toLowerCase()) ? REDACTED : redactString(value, secrets);
}

export function redactHeaderRecord(headers: Record<string, string>, secrets: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = redactHeaderValue(k, v, secrets);
  return out;
}

export function redactHeaderPairs(pairs: Array<[string, string]>, secrets: readonly string[] = []): Array<[string, string]> {
  return pairs.map(([k, v]) => [k, redactHeaderValue(k, v, secrets)]);
}

/** Redact credential query parameters in a path+query, keeping everything else byte-identical. */
export function redactUrl(url: string, secrets: readonly string[] = []): string {
  const q = url.indexOf('?');
  if (q < 0) return redactString(url, secrets);
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq)).toLowerCase();
      return eq >= 0 && SECRET_QUERY_PARAMS.has(name) ? `${pair.slice(0, eq)}=${encodeURIComponent(REDACTED)}` : pair;
    })
    .join('&');
  return redactString(`${url.slice(0, q)}?${query}`, secrets);
}
