import { CREDENTIAL_QUERY_PARAMS, createRedaction, SECRET_HEADERS, CREDENTIAL_FIELDS, type RedactOptions, type Redaction } from './redact.js';

/**
 * The exact secret values one request carried, so they can be scrubbed from everything recorded for
 * it, wherever the upstream echoes them. Pure.
 */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function decodeBase64(b64: string): string | undefined {
  try {
    const bin = atob(b64.replace(/-/g, '+').replace(/_/g, '/'));
    return strictUtf8.decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

/**
 * Scalars under a credential field, at any depth of a JSON value. The keys of a JSON schema's
 * `properties` name fields, they hold no value: `properties.password.title` ("Password") is not a secret.
 */
function fromJson(value: unknown, fields: ReadonlySet<string>, add: (v: string) => void, under = false, schemaProperties = false): void {
  if (typeof value === 'string' || typeof value === 'number') {
    if (under) add(String(value));
  } else if (Array.isArray(value)) {
    for (const v of value) fromJson(v, fields, add, under);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) fromJson(v, fields, add, under || (!schemaProperties && fields.has(k.toLowerCase())), !under && k === 'properties' && isObject(v));
  }
}

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

function fromForm(text: string, names: ReadonlySet<string>, add: (v: string) => void): void {
  try {
    for (const [k, v] of new URLSearchParams(text)) if (names.has(k.toLowerCase())) add(v);
  } catch {
    // Not a form after all.
  }
}

// multipart/form-data: `Content-Disposition: form-data; name="password"`, a blank line, then the value.
const MULTIPART_FIELD = /name="([^"]+)"[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n([^\r\n]*)/g;

/**
 * Exact values a request carried in its credential headers (Basic credentials decoded, cookie values
 * one by one), credential query parameters and credential body fields (JSON at any depth, form and
 * multipart fields), plus the user's own header and field names.
 */
export function collectSecrets(
  headers: Record<string, string | string[] | undefined>,
  url?: string,
  body?: Uint8Array | string,
  options: RedactOptions = {},
): string[] {
  const found = new Set<string>();
  const add = (v: string) => {
    const t = v.trim();
    // Very short values (e.g. "x") would shred ordinary text and are not credentials worth hiding.
    if (t.length >= 8) found.add(t);
  };
  const headerNames = new Set([...SECRET_HEADERS, ...(options.headers ?? []).map((h) => h.toLowerCase())]);
  const fields = new Set([...CREDENTIAL_FIELDS, ...(options.bodyFields ?? []).map((f) => f.toLowerCase())]);
  const params = new Set([...CREDENTIAL_QUERY_PARAMS, ...fields]);
  for (const [name, value] of Object.entries(headers)) {
    if (!headerNames.has(name.toLowerCase()) || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      add(v);
      const scheme = /^\s*(bearer|basic|token)\s+(.+)$/i.exec(v);
      if (scheme) {
        add(scheme[2]!);
        const decoded = scheme[1]!.toLowerCase() === 'basic' ? decodeBase64(scheme[2]!.trim()) : undefined;
        if (decoded !== undefined) {
          add(decoded);
          const colon = decoded.indexOf(':');
          if (colon >= 0) add(decoded.slice(colon + 1));
        }
      }
      if (/cookie/i.test(name)) {
        for (const part of v.split(/[;,]/)) {
          const eq = part.indexOf('=');
          if (eq > 0) add(part.slice(eq + 1).replace(/^"|"$/g, ''));
        }
      }
    }
  }
  if (url) {
    const q = url.indexOf('?');
    if (q >= 0) fromForm(url.slice(q + 1), params, add);
  }
  const text = body === undefined ? '' : typeof body === 'string' ? body : new TextDecoder().decode(body);
  if (text.trim() !== '') {
    let json: unknown;
    let isJson = false;
    try {
      json = JSON.parse(text);
      isJson = true;
    } catch {
      // Not JSON: try the other body shapes below.
    }
    if (isJson) fromJson(json, fields, add);
    else {
      if (/^[^=&\s]+=/.test(text)) fromForm(text.trim(), fields, add);
      for (const m of text.matchAll(MULTIPART_FIELD)) if (fields.has(m[1]!.toLowerCase())) add(m[2]!);
    }
  }
  // Longest first, so a secret that contains another is replaced whole.
  return [...found].sort((a, b) => b.length - a.length);
}

/** The full redaction for one request: the user's rules plus every secret value it carried. */
export function requestRedaction(
  request: { headers: Record<string, string | string[] | undefined>; url?: string; body?: Uint8Array | string },
  options: RedactOptions = {},
  modelOutput = false,
): Redaction {
  return createRedaction(options, collectSecrets(request.headers, request.url, request.body, options), modelOutput);
}
