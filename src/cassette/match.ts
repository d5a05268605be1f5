import { CREDENTIAL_QUERY_PARAMS, REDACTED, redactString, redactUrl, redactValue, type RedactOptions, type Redaction } from '../trace/redact.js';
import { requestRedaction } from '../trace/redact-collect.js';
import type { Trace } from '../trace/types.js';
import { canonicalize, diffPaths, getPath } from './canonical.js';
import type { McpMarker } from '../mcp/marker.js';
import { describeMessage, matchView } from '../mcp/message.js';

export interface MatchOptions {
  /** Body fields left out of matching, by name at any depth (`user`) or dotted path (`metadata.session`). */
  ignoreBodyFields?: string[];
  /** Query parameters left out of matching. Credential parameters (`key`, `api_key`...) always are. */
  ignoreQueryParams?: string[];
  /** When every recording of a request has been served: `last` repeats the last one, `none` treats it as a miss. Default `last`. */
  repeat?: 'last' | 'none';
  /** The user's own redaction rules: a miss explanation shows the received request only after them and the built-in ones. */
  redact?: RedactOptions;
}

export interface IncomingRequest {
  method: string;
  /** Path and query. */
  url: string;
  body: Uint8Array | string;
  /** The request's headers: secrets they carry are hidden wherever a miss explanation would show them. */
  headers?: Record<string, string | string[] | undefined>;
}

export interface Difference {
  field: string;
  recorded: string;
  received: string;
}

export interface MissExplanation {
  type: 'traceforge_replay_miss';
  message: string;
  request: { method: string; url: string; body: unknown };
  closest?: { index: number; id: string; method: string; url: string; differences: Difference[]; synthesized?: boolean };
}

export type MatchResult = { trace: Trace; index: number } | { miss: MissExplanation };

const CREDENTIAL_PARAMS = CREDENTIAL_QUERY_PARAMS;
const decoder = new TextDecoder();

interface Shape {
  method: string;
  path: string;
  query: string;
  body: unknown;
}

function splitUrl(url: string, ignore: ReadonlySet<string>): { path: string; query: string } {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (q < 0) return { path, query: '' };
  const params = [...new URLSearchParams(url.slice(q + 1))].filter(([k]) => !CREDENTIAL_PARAMS.has(k.toLowerCase()) && !ignore.has(k));
  params.sort(([a, av], [b, bv]) => (a === b ? av.localeCompare(bv) : a.localeCompare(b)));
  return { path, query: new URLSearchParams(params).toString() };
}

/** A request body as matching sees it: its JSON, else its text, else null when empty. */
export function parseRequestBody(body: Uint8Array | string): unknown {
  const text = typeof body === 'string' ? body : decoder.decode(body);
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * What matching needs of one recorded interaction. An index of a cassette keeps only these, and
 * loads the rest of an interaction when it is matched.
 */
export interface InteractionKey {
  id: string;
  method: string;
  url: string;
  /** The recorded request body: its JSON, or its text when it was not JSON, or null. */
  body: unknown;
  /** Its response framing was synthesised (a first-TraceForge trace), said in miss explanations and replay logs. */
  synthesized?: boolean;
  /** A call of an MCP session: replay mints its session id and answers with the client's JSON-RPC ids (src/mcp). */
  mcp?: McpMarker;
}

export function interactionKey(t: Trace): InteractionKey {
  return {
    id: t.id,
    method: t.http.method,
    url: t.http.url,
    body: recordedBody(t),
    ...(t.http.synthesized === true ? { synthesized: true } : {}),
    ...(t.metadata.mcp ? { mcp: t.metadata.mcp } : {}),
  };
}

function recordedBody(t: Trace): unknown {
  if (t.request !== null && t.request !== undefined) return t.request;
  if (t.http.request_body_raw !== undefined && t.http.request_body_encoding !== 'base64') return t.http.request_body_raw;
  return null;
}

/**
 * Redacted recordings: the recording has `[REDACTED]` where the app sends the real secret, so a recorded
 * `[REDACTED]` (whole value, or a part of a string, path or query) matches whatever arrives there.
 */
const TOKEN = /\[REDACTED\]|%5BREDACTED%5D/gi;
const hasToken = (s: string): boolean => s.includes(REDACTED) || /%5BREDACTED%5D/i.test(s);
const escRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function textMatches(recorded: string, received: string): boolean {
  if (recorded === received) return true;
  if (!hasToken(recorded)) return false;
  return new RegExp(`^${recorded.split(TOKEN).map(escRe).join('[\\s\\S]+?')}$`).test(received);
}

function hasRedacted(value: unknown): boolean {
  if (typeof value === 'string') return hasToken(value);
  if (Array.isArray(value)) return value.some(hasRedacted);
  if (value && typeof value === 'object') return Object.values(value).some(hasRedacted);
  return false;
}

/** Deep equality where a recorded `[REDACTED]` string stands for any value. */
function valueMatches(recorded: unknown, received: unknown): boolean {
  if (recorded === REDACTED) return received !== undefined;
  if (typeof recorded === 'string') return typeof received === 'string' && textMatches(recorded, received);
  if (Array.isArray(recorded)) return Array.isArray(received) && recorded.length === received.length && recorded.every((v, i) => valueMatches(v, received[i]));
  if (recorded && typeof recorded === 'object') {
    if (!received || typeof received !== 'object' || Array.isArray(received)) return false;
    const a = Object.keys(recorded);
    const b = Object.keys(received);
    return a.length === b.length && a.every((k) => k in received && valueMatches((recorded as Record<string, unknown>)[k], (received as Record<string, unknown>)[k]));
  }
  return recorded === received;
}

const preview = (v: unknown): string => {
  const s = v === undefined ? '(absent)' : JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

/**
 * Match incoming requests to recorded interactions by method, path, query and canonical JSON body.
 * Identical requests are answered in recorded order. A miss comes with the closest recording and
 * the fields that differ, so the test failure says what changed.
 */
export function createKeyMatcher(interactions: readonly InteractionKey[], options: MatchOptions = {}) {
  const ignoreBody = options.ignoreBodyFields ?? [];
  const ignoreQuery = new Set(options.ignoreQueryParams ?? []);
  const shapeOf = (method: string, url: string, body: unknown): Shape => ({
    method: method.toUpperCase(),
    ...splitUrl(url, ignoreQuery),
    // The client's JSON-RPC ids and progress tokens differ between runs of one MCP agent: not compared.
    body: canonicalize(matchView(body), ignoreBody),
  });
  // A shape's body is canonical already.
  const keyOf = (s: Shape) => `${s.method} ${s.path}?${s.query} ${JSON.stringify(s.body) ?? 'null'}`;
  const shapes = interactions.map((k) => shapeOf(k.method, k.url, k.body));
  const queues = new Map<string, number[]>();
  shapes.forEach((s, i) => {
    const k = keyOf(s);
    const queue = queues.get(k);
    if (queue) queue.push(i);
    else queues.set(k, [i]);
  });
  const served = new Map<string, number>();
  const used = new Set<number>();
  const claimed = new Set<number>();
  const wild = shapes.map((s) => hasToken(s.path) || hasToken(s.query) || hasRedacted(s.body));
  const shapeMatches = (s: Shape, req: Shape): boolean =>
    s.method === req.method && textMatches(s.path, req.path) && textMatches(s.query, req.query) && valueMatches(s.body, req.body);

  function explain(req: Shape, incoming: IncomingRequest, exhausted: boolean): MissExplanation {
    // Everything shown of the received request passes through the same redaction as a recording.
    const r: Redaction = requestRedaction({ headers: incoming.headers ?? {}, url: incoming.url, body: incoming.body }, options.redact);
    const rawUrl = redactUrl(incoming.url, r);
    const shownBody = redactValue(req.body, r);
    const shown = (s: string): string => redactString(s, r);
    let best: { index: number; score: number; differences: Difference[] } | undefined;
    shapes.forEach((s, index) => {
      const differences: Difference[] = [];
      if (s.method !== req.method) differences.push({ field: 'method', recorded: s.method, received: req.method });
      if (!textMatches(s.path, req.path)) differences.push({ field: 'path', recorded: s.path, received: redactUrl(req.path, r) });
      if (!textMatches(s.query, req.query)) differences.push({ field: 'query', recorded: s.query || '(none)', received: req.query ? redactUrl(`?${req.query}`, r).slice(1) : '(none)' });
      const bodyDiffs = diffPaths(s.body, req.body, 50)
        .map((p) => {
          const sub = p.replace(/^body\.?/, '');
          const got = sub ? getPath(req.body, sub) : req.body;
          // The received value as redaction leaves it: a credential field's value is blanked by its name.
          const gotShown = sub ? getPath(shownBody, sub) : shownBody;
          return { p, rec: sub ? getPath(s.body, sub) : s.body, got, gotShown: gotShown === undefined && got !== undefined ? redactValue(got, r) : gotShown };
        })
        // A redacted value matches anything, so it is never the reason for a miss.
        .filter((d) => !valueMatches(d.rec, d.got))
        .slice(0, 5);
      for (const d of bodyDiffs) differences.push({ field: shown(d.p), recorded: preview(d.rec), received: shown(preview(d.gotShown)) });
      const score = (s.method === req.method ? 0 : 100) + (s.path === req.path ? 0 : 50) + (s.query === req.query ? 0 : 5) + differences.length;
      if (!best || score < best.score) best = { index, score, differences };
    });
    const said = describeMessage(req.body);
    const head = `No recorded interaction matches ${req.method} ${rawUrl}${said ? ` (${said})` : ''}`;
    let message: string;
    let closest: MissExplanation['closest'];
    if (!best) message = `${head}: the cassette is empty.`;
    else {
      const t = interactions[best.index]!;
      closest = { index: best.index, id: t.id, method: t.method, url: t.url, differences: best.differences, ...(t.synthesized ? { synthesized: true } : {}) };
      const diffs = best.differences.map((d) => `${d.field}: recorded ${d.recorded}, received ${d.received}`).join('; ');
      message = exhausted
        ? `${head}: all ${queues.get(keyOf(req))?.length ?? 0} recordings of this request were already used (repeat: 'none').`
        : `${head}. Closest recording is #${best.index} (id ${t.id}, ${t.method} ${t.url}); differs in ${diffs || 'nothing visible'}.` +
          (wild[best.index] ? ` Its ${REDACTED} values (secrets removed when it was recorded) match any value, so they are not the difference.` : '') +
          (t.synthesized ? ' It comes from a schema 1.0.0 trace of the first TraceForge: its response framing is synthesised from parsed chunks.' : '');
    }
    message += ' To record it, re-run with TRACEFORGE_RECORD=new_episodes (calls go where the app sends them, or to TRACEFORGE_UPSTREAM when set), or use `traceforge record --cassette <file>`.';
    return { type: 'traceforge_replay_miss', message: shown(message), request: { method: shown(req.method), url: rawUrl, body: shownBody }, ...(closest ? { closest } : {}) };
  }

  return {
    match(req: IncomingRequest): { index: number } | { miss: MissExplanation } {
      const shape = shapeOf(req.method, req.url, parseRequestBody(req.body));
      let key = keyOf(shape);
      if (!queues.has(key)) {
        // No exact match: a recording with redacted values may still stand for this request.
        const i = shapes.findIndex((s, j) => wild[j] && shapeMatches(s, shape));
        if (i >= 0) key = keyOf(shapes[i]!);
      }
      const queue = queues.get(key);
      if (!queue) return { miss: explain(shape, req, false) };
      const n = served.get(key) ?? 0;
      if (n >= queue.length && options.repeat === 'none') return { miss: explain(shape, req, true) };
      served.set(key, n + 1);
      const index = queue[Math.min(n, queue.length - 1)]!;
      used.add(index);
      return { index };
    },
    /**
     * The first recording of this recorded request not claimed yet (the n-th claim of a request gets its
     * n-th recording, as replay serves them), or undefined: what `record --cassette` asks to tell a call
     * the cassette already holds from a new one. Claims are counted apart from match()'s serving.
     */
    claim(key: InteractionKey): number | undefined {
      const shape = shapeOf(key.method, key.url, key.body);
      const exact = queues.get(keyOf(shape));
      const candidates = exact ?? shapes.map((_, j) => j).filter((j) => wild[j] && shapeMatches(shapes[j]!, shape));
      const index = candidates.find((j) => !claimed.has(j));
      if (index !== undefined) claimed.add(index);
      return index;
    },
    /** Indices of the interactions never served so far. */
    unused(): number[] {
      return interactions.map((_, i) => i).filter((i) => !used.has(i));
    },
  };
}

export type KeyMatcher = ReturnType<typeof createKeyMatcher>;

/** createKeyMatcher over interactions held in memory, answering with the trace itself. */
export function createMatcher(interactions: readonly Trace[], options: MatchOptions = {}) {
  const keys = createKeyMatcher(interactions.map(interactionKey), options);
  return {
    match(req: IncomingRequest): MatchResult {
      const r = keys.match(req);
      return 'miss' in r ? r : { trace: interactions[r.index]!, index: r.index };
    },
    /** Interactions never served so far. */
    unused(): Trace[] {
      return keys.unused().map((i) => interactions[i]!);
    },
  };
}

export type Matcher = ReturnType<typeof createMatcher>;
