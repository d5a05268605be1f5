import type { Trace } from '../trace/types.js';
import { canonicalJson, canonicalize, diffPaths, getPath } from './canonical.js';

export interface MatchOptions {
  /** Body fields left out of matching, by name at any depth (`user`) or dotted path (`metadata.session`). */
  ignoreBodyFields?: string[];
  /** Query parameters left out of matching. Credential parameters (`key`, `api_key`...) always are. */
  ignoreQueryParams?: string[];
  /** When every recording of a request has been served: `last` repeats the last one, `none` treats it as a miss. Default `last`. */
  repeat?: 'last' | 'none';
}

export interface IncomingRequest {
  method: string;
  /** Path and query. */
  url: string;
  body: Uint8Array | string;
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
  closest?: { index: number; id: string; method: string; url: string; differences: Difference[] };
}

export type MatchResult = { trace: Trace; index: number } | { miss: MissExplanation };

const CREDENTIAL_PARAMS = new Set(['key', 'api_key', 'apikey', 'access_token', 'token']);
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

function parseBody(body: Uint8Array | string): unknown {
  const text = typeof body === 'string' ? body : decoder.decode(body);
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function recordedBody(t: Trace): unknown {
  if (t.request !== null && t.request !== undefined) return t.request;
  if (t.http.request_body_raw !== undefined && t.http.request_body_encoding !== 'base64') return t.http.request_body_raw;
  return null;
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
export function createMatcher(interactions: readonly Trace[], options: MatchOptions = {}) {
  const ignoreBody = options.ignoreBodyFields ?? [];
  const ignoreQuery = new Set(options.ignoreQueryParams ?? []);
  const shapeOf = (method: string, url: string, body: unknown): Shape => ({
    method: method.toUpperCase(),
    ...splitUrl(url, ignoreQuery),
    body: canonicalize(body, ignoreBody),
  });
  const keyOf = (s: Shape) => `${s.method} ${s.path}?${s.query} ${canonicalJson(s.body)}`;
  const shapes = interactions.map((t) => shapeOf(t.http.method, t.http.url, recordedBody(t)));
  const queues = new Map<string, number[]>();
  shapes.forEach((s, i) => {
    const k = keyOf(s);
    queues.set(k, [...(queues.get(k) ?? []), i]);
  });
  const served = new Map<string, number>();
  const used = new Set<number>();

  function explain(req: Shape, rawUrl: string, exhausted: boolean): MissExplanation {
    let best: { index: number; score: number; differences: Difference[] } | undefined;
    shapes.forEach((s, index) => {
      const differences: Difference[] = [];
      if (s.method !== req.method) differences.push({ field: 'method', recorded: s.method, received: req.method });
      if (s.path !== req.path) differences.push({ field: 'path', recorded: s.path, received: req.path });
      if (s.query !== req.query) differences.push({ field: 'query', recorded: s.query || '(none)', received: req.query || '(none)' });
      for (const p of diffPaths(s.body, req.body, 5)) {
        const sub = p.replace(/^body\.?/, '');
        differences.push({ field: p, recorded: preview(sub ? getPath(s.body, sub) : s.body), received: preview(sub ? getPath(req.body, sub) : req.body) });
      }
      const score = (s.method === req.method ? 0 : 100) + (s.path === req.path ? 0 : 50) + (s.query === req.query ? 0 : 5) + differences.length;
      if (!best || score < best.score) best = { index, score, differences };
    });
    const head = `No recorded interaction matches ${req.method} ${rawUrl}`;
    let message: string;
    let closest: MissExplanation['closest'];
    if (!best) message = `${head}: the cassette is empty.`;
    else {
      const t = interactions[best.index]!;
      closest = { index: best.index, id: t.id, method: t.http.method, url: t.http.url, differences: best.differences };
      const diffs = best.differences.map((d) => `${d.field}: recorded ${d.recorded}, received ${d.received}`).join('; ');
      message = exhausted
        ? `${head}: all ${queues.get(keyOf(req))?.length ?? 0} recordings of this request were already used (repeat: 'none').`
        : `${head}. Closest recording is #${best.index} (id ${t.id}, ${t.http.method} ${t.http.url}); differs in ${diffs || 'nothing visible'}.`;
    }
    message += ' To record it, re-run with TRACEFORGE_RECORD=new_episodes and an upstream, or use `traceforge record --cassette <file>`.';
    return { type: 'traceforge_replay_miss', message, request: { method: req.method, url: rawUrl, body: req.body }, ...(closest ? { closest } : {}) };
  }

  return {
    match(req: IncomingRequest): MatchResult {
      const shape = shapeOf(req.method, req.url, parseBody(req.body));
      const key = keyOf(shape);
      const queue = queues.get(key);
      if (!queue) return { miss: explain(shape, req.url, false) };
      const n = served.get(key) ?? 0;
      if (n >= queue.length && options.repeat === 'none') return { miss: explain(shape, req.url, true) };
      served.set(key, n + 1);
      const index = queue[Math.min(n, queue.length - 1)]!;
      used.add(index);
      return { trace: interactions[index]!, index };
    },
    /** Interactions never served so far. */
    unused(): Trace[] {
      return interactions.filter((_, i) => !used.has(i));
    },
  };
}

export type Matcher = ReturnType<typeof createMatcher>;
