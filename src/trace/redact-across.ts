import { withEventStreamPayload } from '../stream/eventstream-encoder.js';
import type { Framing } from '../stream/frame.js';
import { encodeNdjsonLine, encodeSseEvent } from '../stream/sse-encoder.js';
import { applyRedaction, forResponse, REDACTED, type Redaction, type RedactionInput } from './redact.js';
import type { TraceChunk } from './types.js';
import { EMBEDDED } from './providers/registry.js';
import type { EmbeddedPayload } from './providers/protocol.js';

/**
 * A stream carries its text in pieces: an upstream that echoes a key 7 characters per event leaves no
 * event with a whole key in it, so per-event redaction keeps every piece and the key can be rebuilt by
 * concatenating the chunks' content. Here the string values found at the same place in successive
 * events (`choices.0.delta.content`, `delta.text`, a tool call's `arguments`, a plain-text `data`) are
 * read as one text, the way a reader of the stream sees it; a secret found in it is removed from every
 * event that carries a part of it (the whole match goes where it starts, as `[REDACTED]`, and later
 * pieces lose their part), in `data` and in `raw`. Pure.
 */

type Path = string;

/** String leaves of a chunk's data by their JSON path; a plain-string `data` is the path ''. */
function leaves(data: unknown, path: Path = '', out = new Map<Path, string>()): Map<Path, string> {
  if (typeof data === 'string') out.set(path, data);
  // A plain-text event whose text happens to parse as JSON (`data: 1`) is still text to a reader.
  else if (path === '' && (typeof data === 'number' || typeof data === 'boolean')) out.set(path, String(data));
  else if (Array.isArray(data)) data.forEach((v, i) => leaves(v, `${path}/${i}`, out));
  else if (data && typeof data === 'object') for (const k in data) leaves((data as Record<string, unknown>)[k], `${path}/${pointerKey(k)}`, out);
  return out;
}

/** A key as a JSON Pointer segment; most keys need no escaping, and checking is cheaper than replacing. */
const pointerKey = (k: string): string => (k.includes('~') || k.includes('/') ? k.replace(/~/g, '~0').replace(/\//g, '~1') : k);

function setLeaf(data: unknown, path: Path, value: string): unknown {
  if (path === '') return value;
  const keys = path.slice(1).split('/').map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
  let at = data as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  at[keys[keys.length - 1]!] = value;
  return data;
}

const MAX_HELD = 2000;

/**
 * The data as redaction reads it. A payload inside the payload (Bedrock InvokeModel's base64 `bytes`,
 * see the protocol modules' `embedded` hints) is opened: the view is `[data without it, what it says]`,
 * so text streamed across such events is read in a row like any other.
 */
function openView(data: unknown, framing: Framing): { view: unknown; hint?: EmbeddedPayload } {
  if (framing !== 'eventstream') return { view: data };
  for (const hint of EMBEDDED) {
    const text = hint.open(data);
    if (text === undefined) continue;
    let inner: unknown = text;
    try {
      inner = JSON.parse(text);
    } catch {
      // Not JSON: the text itself is the leaf.
    }
    return { view: [hint.close(data, ''), inner], hint };
  }
  return { view: data };
}

/** The chunk's data again from a view whose leaves changed. */
function closeView(view: unknown, hint: EmbeddedPayload | undefined): unknown {
  if (!hint) return view;
  const [outer, inner] = view as [unknown, unknown];
  return hint.close(outer, typeof inner === 'string' ? inner : JSON.stringify(inner));
}

/** One chunk under redaction; `changed` collects the leaves it lost, to fix its `raw` on release. */
interface Held<T> {
  chunk: TraceChunk;
  /** `chunk.data` as redaction reads it (see openView). */
  view: unknown;
  hint?: EmbeddedPayload;
  tag: T;
  leaves: Map<Path, string>;
  changed?: Map<string, string>;
  /** Content characters pushed up to and including this chunk (what followed it is the total minus this). */
  at: number;
  /** Leaves whose event, redacted alone, lost a key that ran to the event's end (see keysCutAtEnd). */
  cut?: Set<Path>;
}

/** What can continue a key: the tail of every key shape; after `Bearer [REDACTED]`, a token's characters. */
const KEY_TAIL = /^[A-Za-z0-9_-]*/;
const TOKEN_TAIL = /^[A-Za-z0-9._~+/=-]*/;

/**
 * Leaves of an event that its own redaction ended with `[REDACTED]` where the provider's text ended in a
 * key character: the head of a key, key-shaped by itself, whose rest may come in the next event. The
 * text read across events then says `[REDACTED]` followed by that rest, which no longer looks like a key.
 */
function keysCutAtEnd(redacted: Map<Path, string>, data: (() => unknown) | undefined, framing: Framing): Set<Path> | undefined {
  // Most events end in no redaction: the original is parsed again only for those that do.
  if (!data || ![...redacted.values()].some((v) => v.endsWith(REDACTED))) return undefined;
  const original = leaves(openView(data(), framing).view);
  let cut: Set<Path> | undefined;
  for (const [path, v] of redacted) {
    const was = original.get(path);
    if (was !== undefined && v.endsWith(REDACTED) && !was.endsWith(REDACTED) && /[A-Za-z0-9._~+/=-]$/.test(was)) (cut ??= new Set()).add(path);
  }
  return cut;
}

/**
 * The pieces with the rest of each cut key removed from the start of the events after it (several, when
 * an event holds nothing but key characters): what the key's match would have taken had the events been
 * read as one text. Returns `pieces` itself when nothing was cut.
 */
function dropKeyRests<T>(carriers: ReadonlyArray<Held<T>>, path: Path, pieces: string[]): string[] {
  let out = pieces;
  for (let i = 0; i < carriers.length - 1; i++) {
    if (!carriers[i]!.cut?.has(path) || !out[i]!.endsWith(REDACTED)) continue;
    const tail = out[i]!.endsWith(`Bearer ${REDACTED}`) ? TOKEN_TAIL : KEY_TAIL;
    for (let j = i + 1; j < carriers.length; j++) {
      const run = tail.exec(out[j]!)![0].length;
      if (run === 0) break;
      if (out === pieces) out = [...pieces];
      out[j] = out[j]!.slice(run);
      if (out[j] !== '') break;
    }
  }
  return out;
}

/**
 * Redact the content of `window` as one text per path. Only matches that start in the first `upTo`
 * chunks are applied (all when `upTo` is undefined): a key at the end of the window may still go on in
 * the next event, and redacting its first part early would leave the rest. Chunks whose leaves changed
 * get `data` updated in place and the old → new values recorded in `changed`.
 */
function redactWindow<T>(window: Array<Held<T>>, paths: Iterable<Path>, r: Redaction, upTo?: number): void {
  for (const path of paths) {
    const carriers: Array<Held<T>> = [];
    let released = 0;
    window.forEach((h, i) => {
      if (!h.leaves.has(path)) return;
      carriers.push(h);
      if (upTo !== undefined && i < upTo) released++;
    });
    if (carriers.length < 2 || (upTo !== undefined && released === 0)) continue; // one event alone was already redacted whole
    const before = carriers.map((h) => h.leaves.get(path)!);
    // A value repeated unchanged in every event (an `id`, the `model`, an `object` type) is no text being
    // streamed: each copy was redacted whole with its event. Skipping it keeps the cost to the content.
    // (A secret streamed as identical pieces, "abcd" "abcd" ..., would be missed; no stream sends one.)
    if (before.every((p) => p === before[0])) continue;
    const pieces = dropKeyRests(carriers, path, before);
    const bounds: number[] = [];
    let at = 0;
    for (const p of pieces.slice(0, -1)) bounds.push((at += p.length));
    const text = pieces.join('');
    const out = applyRedaction(text, r, upTo === undefined || released === carriers.length ? { bounds } : { bounds, until: released - 1 });
    if (out === text && pieces === before) continue;
    const edges = [0, ...bounds, out.length];
    carriers.forEach((h, i) => {
      const next = out.slice(edges[i], edges[i + 1]);
      if (next === before[i]) return;
      const changed = (h.changed ??= new Map());
      // Keyed by the value as the raw bytes still have it, across several rounds.
      const original = [...changed].find(([, v]) => v === before[i])?.[0] ?? before[i]!;
      changed.set(original, next);
      h.leaves.set(path, next);
      h.view = setLeaf(h.view, path, next);
      h.chunk.data = closeView(h.view, h.hint);
    });
  }
}

const b64 = (s: string) => Buffer.from(s, 'base64').toString('latin1');
const latin1ToB64 = (s: string) => Buffer.from(s, 'latin1').toString('base64');
const utf8AsLatin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

/**
 * Fix a chunk's `raw` after its data lost part of a secret: each changed string is replaced where it
 * stands as a JSON string value (or as a plain-text data line). When the upstream wrote it another way
 * (other escapes), the frame is re-encoded from its fields: the bytes change, the secret goes.
 */
function fixRaw(chunk: TraceChunk, changed: Map<string, string>, framing: Framing): void {
  const binary = chunk.raw_encoding === 'base64';
  if (binary && framing === 'eventstream') {
    // A binary message states its length and checksums: rebuild it around the redacted payload.
    const payload = typeof chunk.data === 'string' ? chunk.data : JSON.stringify(chunk.data);
    const rebuilt = withEventStreamPayload(Buffer.from(chunk.raw, 'base64'), payload);
    if (rebuilt) {
      chunk.raw = Buffer.from(rebuilt).toString('base64');
      return;
    }
  }
  let raw = binary ? b64(chunk.raw) : chunk.raw;
  const enc = (s: string) => (binary ? utf8AsLatin1(s) : s);
  let missed = false;
  for (const [from, to] of changed) {
    const plain = typeof chunk.data === 'string';
    if (plain) {
      // The text is the data line itself; a piece such as "a" also occurs in "data:", so re-encode.
      missed = true;
      continue;
    }
    const needle = enc(JSON.stringify(from));
    const rep = enc(JSON.stringify(to));
    // As a value only: `"id"` is also the key of `"id":"c1"`.
    const asValue = new RegExp(`${needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?!\\s*:)`, 'g');
    if (!asValue.test(raw)) {
      missed = true;
      continue;
    }
    raw = raw.replace(asValue, () => rep);
  }
  // The same string may also stand elsewhere in the event (an `id` equal to a piece): if the bytes no
  // longer say what `data` says, re-encode.
  if (!binary && (missed || !saysData(raw, chunk.data, framing))) raw = reencode(chunk, framing);
  chunk.raw = binary ? latin1ToB64(raw) : raw;
}

function saysData(raw: string, data: unknown, framing: Framing): boolean {
  const text =
    framing === 'ndjson'
      ? raw.replace(/\r?\n$/, '')
      : raw
          .split(/\r\n|\r|\n/)
          .filter((l) => l.startsWith('data'))
          .map((l) => l.replace(/^data:? ?/, ''))
          .join('\n');
  try {
    return JSON.stringify(JSON.parse(text)) === JSON.stringify(data);
  } catch {
    return false;
  }
}

function reencode(chunk: TraceChunk, framing: Framing): string {
  const data = typeof chunk.data === 'string' ? chunk.data : JSON.stringify(chunk.data);
  const text =
    framing === 'ndjson'
      ? encodeNdjsonLine(chunk.data)
      : encodeSseEvent({ event: chunk.event, id: chunk.id, retry: chunk.retry, comments: chunk.comments, data });
  // A partial frame had no terminator; a re-encoded one must not gain one.
  return chunk.partial ? text.replace(/\n+$/, '') : text;
}

/**
 * Redact across events as chunks arrive. A chunk is held back until `windowChars` characters of
 * content have followed it (or the stream ends), so a secret shorter than that which starts in it is
 * seen whole before it is released; memory stays bounded by about twice the window. Work is batched:
 * the window is searched once per `windowChars` of new content, not once per event, so the cost per
 * character stays constant. Released chunks come back in order with their tags.
 */
export function createAcrossRedactor<T>(secrets: RedactionInput, framing: Framing, windowChars = 2048) {
  const r = forResponse(secrets);
  const held: Array<Held<T>> = [];
  let last: Map<Path, string> | undefined;
  // Content characters pushed so far; a held chunk has `total - at` after it (a counter per chunk
  // would cost one update per held chunk per push, and hundreds are held at a few characters a token).
  let total = 0;
  const after = (h: Held<T>): number => total - h.at;
  const release = (n: number, final: boolean): Array<{ chunk: TraceChunk; tag: T }> => {
    if (n === 0) return [];
    redactWindow(held, new Set(held.flatMap((h) => [...h.leaves.keys()])), r, final ? undefined : n);
    return held.splice(0, n).map((h) => {
      if (h.changed) fixRaw(h.chunk, h.changed, framing);
      return { chunk: h.chunk, tag: h.tag };
    });
  };
  return {
    /** `original`: the event's data before its own redaction, so a key it cut at its end is followed into the next. */
    push(chunk: TraceChunk, tag: T, original?: () => unknown): Array<{ chunk: TraceChunk; tag: T }> {
      const opened = openView(chunk.data, framing);
      const mine = leaves(opened.view);
      const cut = keysCutAtEnd(mine, original, framing);
      // Only text that moves counts towards the window: a `type` or `id` repeated in every event would
      // otherwise fill it and release events before a secret in the content is whole.
      const prev = held[held.length - 1]?.leaves ?? last;
      let size = 0;
      for (const [path, v] of mine) if (prev?.get(path) !== v) size += v.length;
      last = mine;
      total += size;
      held.push({ chunk, tag, ...opened, leaves: mine, at: total, ...(cut ? { cut } : {}) });
      // Events with almost no text (numbers only) are still released after MAX_HELD of them.
      if (after(held[0]!) < 2 * windowChars && held.length <= MAX_HELD) return [];
      let n = 0;
      while (n < held.length - 1 && (after(held[n]!) >= windowChars || held.length - n > MAX_HELD / 2)) n++;
      return release(n, false);
    },
    end(): Array<{ chunk: TraceChunk; tag: T }> {
      return release(held.length, true);
    },
  };
}

/**
 * Redact a whole list of stream chunks across events at once (chunks are changed in place). `originals`:
 * each event's data before its own redaction, as in createAcrossRedactor's push.
 */
export function redactAcross(chunks: TraceChunk[], secrets: RedactionInput, framing: Framing, originals?: ReadonlyArray<() => unknown>): TraceChunk[] {
  const held: Array<Held<null>> = chunks.map((chunk, i) => {
    const opened = openView(chunk.data, framing);
    const mine = leaves(opened.view);
    const cut = keysCutAtEnd(mine, originals?.[i], framing);
    return { chunk, tag: null, ...opened, leaves: mine, at: 0, ...(cut ? { cut } : {}) };
  });
  redactWindow(held, new Set(held.flatMap((h) => [...h.leaves.keys()])), forResponse(secrets));
  for (const h of held) if (h.changed) fixRaw(h.chunk, h.changed, framing);
  return chunks;
}

