/** Find a secret in written files, in every form it could take there. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { storedToBytes } from '../../src/stream/bytes.js';
import { percentEncoded, unicodeEscaped } from './echo-plan.js';

/** Every file under `dir`, recursively, dotfiles included. */
export async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await allFiles(p)));
    else out.push(p);
  }
  return out;
}

/** The forms a secret takes in text: as is, JSON-escaped, percent-encoded, form-encoded. */
export function textForms(secret: string): string[] {
  return [
    ...new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), new URLSearchParams({ a: secret }).toString().slice(2), unicodeEscaped(secret), percentEncoded(secret)]),
  ];
}

/**
 * The stream's content as a reader rebuilds it: for every place in the events' data (a JSON path), the
 * string values there, joined in order. A secret sent a few characters per event shows up only here.
 */
export function joinedContent(chunks: ReadonlyArray<{ data?: unknown }>): string[] {
  const byPath = new Map<string, string>();
  const walk = (v: unknown, p: string) => {
    if (typeof v === 'string') byPath.set(p, (byPath.get(p) ?? '') + v);
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${p}/${i}`));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${p}/${k}`);
  };
  for (const c of chunks) walk(c.data, '');
  return [...byPath.values()];
}

/**
 * Where in `value` (a parsed trace file, index or cassette) the secret appears: every string and key, and
 * the bytes of each chunk/body list joined and decoded (a secret cut by a read boundary, or inside base64).
 */
export function findInValue(value: unknown, secret: string, path = '$'): string[] {
  const hits: string[] = [];
  const forms = textForms(secret);
  const walk = (v: unknown, p: string) => {
    if (typeof v === 'string') {
      if (forms.some((f) => v.includes(f))) hits.push(p);
      return;
    }
    if (Array.isArray(v)) {
      const pieces = v.filter((x): x is { raw: string; raw_encoding?: 'base64' } => !!x && typeof x === 'object' && typeof (x as { raw?: unknown }).raw === 'string');
      const events = v.filter((x): x is { data?: unknown } => !!x && typeof x === 'object' && 'data' in x);
      if (events.length > 1 && joinedContent(events).some((text) => forms.some((f) => text.includes(f)))) hits.push(`${p}[*].data joined`);
      if (pieces.length > 0) {
        const joined = Buffer.concat(pieces.map((x) => storedToBytes(x.raw, x.raw_encoding))).toString('latin1');
        const bytesForms = forms.map((f) => Buffer.from(f).toString('latin1'));
        if (bytesForms.some((f) => joined.includes(f))) hits.push(`${p}[*].raw joined`);
      }
      v.forEach((x, i) => walk(x, `${p}[${i}]`));
      return;
    }
    if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (forms.some((f) => k.includes(f))) hits.push(`${p} key ${k}`);
        walk(x, `${p}.${k}`);
      }
    }
  };
  walk(value, path);
  return hits;
}

/** Check one file: its bytes for every text form, and its parsed content (JSON, NDJSON or YAML) deeply. */
export async function findInFile(file: string, secrets: readonly string[]): Promise<string[]> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []; // a temp or lock file that was just removed
    throw e;
  }
  const text = buf.toString('utf8');
  const hits: string[] = [];
  for (const s of secrets) {
    for (const f of textForms(s)) if (text.includes(f)) hits.push(`${file}: text contains ${JSON.stringify(f)}`);
    let parsed: unknown[] = [];
    try {
      if (file.endsWith('.yaml')) parsed = [parse(text)];
      else if (file.endsWith('.ndjson')) parsed = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
      else parsed = [JSON.parse(text)];
    } catch {
      // Not structured (a lock file, a partial temp file): the text check above covers it.
    }
    // A spill file holds one piece per line: join them as the trace file would.
    if (file.endsWith('.ndjson')) parsed.push(parsed.map((r) => (r as { chunk?: unknown }).chunk ?? r));
    for (const v of parsed) hits.push(...findInValue(v, s, file).map((h) => `${h} (secret ${JSON.stringify(s)})`));
  }
  return hits;
}
