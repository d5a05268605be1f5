import { gapBucketLabels, gapHistogram, streamMetrics } from './metrics.js';
import { summarize as summarizeResponse, type ResponseSummary } from './reconstruct.js';
import type { Provider, Trace } from './types.js';

export type { ResponseSummary };
export type Summarize = (provider: Provider, response: unknown) => ResponseSummary;

export type DiffOp = { op: 'same' | 'add' | 'del'; text: string };
/** One named value on each side, as display text; undefined when the side does not have it. */
export interface FieldDiff {
  key: string;
  a: string | undefined;
  b: string | undefined;
  same: boolean;
}
export interface NumberDiff {
  label: string;
  unit: 'ms' | 'count' | 'tok/s';
  a: number | null;
  b: number | null;
}

export interface TraceDiff {
  ids: [string, string];
  request: { messages: DiffOp[]; params: FieldDiff[] };
  response: { text: DiffOp[]; toolCalls: DiffOp[]; fields: FieldDiff[] };
  timing: { rows: NumberDiff[]; histogram: { labels: string[]; a: number[]; b: number[] } };
  /** True when requests and responses match (timing always differs a little and is not counted). */
  sameContent: boolean;
}

// Past this many edits the two sides are unrelated; showing "all removed, all added" is as useful and bounded.
const MAX_EDITS = 2000;

/**
 * Myers' O((N+M)D) shortest edit script between two token lists, after trimming the common ends.
 * @example
 * diffTokens(['a', 'b'], ['a', 'c']); // [{op:'same',text:'a'},{op:'del',text:'b'},{op:'add',text:'c'}]
 */
export function diffTokens(a: readonly string[], b: readonly string[]): DiffOp[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const x = a.slice(pre, a.length - suf);
  const y = b.slice(pre, b.length - suf);
  const middle = myers(x, y) ?? [...x.map((t) => ({ op: 'del' as const, text: t })), ...y.map((t) => ({ op: 'add' as const, text: t }))];
  const ops: DiffOp[] = [
    ...a.slice(0, pre).map((t) => ({ op: 'same' as const, text: t })),
    ...middle,
    ...a.slice(a.length - suf).map((t) => ({ op: 'same' as const, text: t })),
  ];
  return merge(ops);
}

function myers(a: readonly string[], b: readonly string[]): DiffOp[] | null {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_EDITS);
  const off = max + 1;
  const v = new Int32Array(2 * max + 3).fill(-1);
  v[off + 1] = 0;
  // trace[d] holds V before step d, for diagonals -d-1..d+1: O(D^2) integers in all.
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice(off - d - 1, off + d + 2));
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!);
      let x = down ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace, d);
    }
  }
  return null;
}

function backtrack(a: readonly string[], b: readonly string[], trace: Int32Array[], dEnd: number): DiffOp[] {
  const out: DiffOp[] = [];
  let x = a.length;
  let y = b.length;
  // Walk back from the end: each step is a diagonal run of equal tokens preceded by one insertion or deletion.
  for (let d = dEnd; d >= 0; d--) {
    const row = trace[d]!;
    const at = (k: number) => row[k + d + 1]!;
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const pk = down ? k + 1 : k - 1;
    const px = Math.max(0, at(pk));
    const py = px - pk;
    while (x > px && y > py) {
      out.push({ op: 'same', text: a[--x]! });
      y--;
    }
    if (d === 0) break;
    out.push(down ? { op: 'add', text: b[y - 1]! } : { op: 'del', text: a[x - 1]! });
    x = px;
    y = py;
  }
  return out.reverse();
}

function merge(ops: DiffOp[]): DiffOp[] {
  const out: DiffOp[] = [];
  for (const o of ops) {
    const last = out.at(-1);
    if (last && last.op === o.op) last.text += o.text;
    else out.push({ ...o });
  }
  return out;
}

/**
 * Word diff of two texts. A lone space between two changed words is folded into the change, so
 * "of Rayleigh" -> "air" reads as one replacement rather than two edits around a shared space.
 */
export function diffWords(a: string, b: string): DiffOp[] {
  const ops = diffTokens(wordTokens(a), wordTokens(b));
  const out: DiffOp[] = [];
  let del = '';
  let add = '';
  const flush = () => {
    if (del) out.push({ op: 'del', text: del });
    if (add) out.push({ op: 'add', text: add });
    del = add = '';
  };
  ops.forEach((o, i) => {
    const inChange = (del || add) && i + 1 < ops.length;
    if (o.op === 'del') del += o.text;
    else if (o.op === 'add') add += o.text;
    else if (inChange && /^\s+$/.test(o.text)) {
      del += o.text;
      add += o.text;
    } else {
      flush();
      out.push({ ...o });
    }
  });
  flush();
  return out;
}

/** Words and the whitespace between them, so a text diff marks whole words. */
export function wordTokens(text: string): string[] {
  return text.match(/\s+|[^\s]+/g) ?? [];
}
/** Lines with their newline, so joining the ops' text gives the input back. */
export function lineTokens(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Request keys that carry the conversation; every other key is a parameter. */
const MESSAGE_KEYS = ['system', 'instructions', 'systemInstruction', 'messages', 'input', 'contents', 'prompt'];

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** The conversation of a request as readable lines: `[role] text`, other parts as JSON. */
export function formatMessages(request: unknown): string {
  if (!isObj(request)) return request == null ? '' : `${show(request)}\n`;
  const lines: string[] = [];
  for (const key of MESSAGE_KEYS) {
    const v = request[key];
    if (v === undefined) continue;
    const list = Array.isArray(v) ? v : [{ role: key, content: v }];
    for (const msg of list) {
      if (!isObj(msg)) lines.push(`[${key}] ${show(msg)}`);
      else lines.push(`[${show(msg.role ?? msg.type ?? key)}] ${contentText(msg.content ?? msg.parts ?? msg.text ?? msg)}`);
    }
  }
  return lines.map((l) => `${l}\n`).join('');
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (isObj(p) && typeof p.text === 'string' ? p.text : show(p))).join(' ');
  return show(content);
}

/** Request parameters (everything but the conversation), as display text. */
export function requestParams(request: unknown): Record<string, string> {
  if (!isObj(request)) return {};
  return Object.fromEntries(Object.entries(request).filter(([k]) => !MESSAGE_KEYS.includes(k)).map(([k, v]) => [k, show(v)]));
}

function fieldDiffs(a: Record<string, string | undefined>, b: Record<string, string | undefined>): FieldDiff[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.map((key) => ({ key, a: a[key], b: b[key], same: a[key] === b[key] }));
}

function parsedArgs(args: unknown): unknown {
  if (typeof args !== 'string') return args;
  try {
    return JSON.parse(args) as unknown;
  } catch {
    return args;
  }
}

/** Tool calls as pretty JSON (arguments parsed when they are a JSON string), for display and diffing. */
export function formatToolCalls(calls: ResponseSummary['tool_calls']): string {
  if (calls.length === 0) return '';
  return `${JSON.stringify(calls.map((c) => ({ name: c.name, arguments: parsedArgs(c.arguments) })), null, 2)}\n`;
}

function summaryFields(t: Trace, s: ResponseSummary): Record<string, string | undefined> {
  const u = s.usage;
  return {
    'HTTP status': `${t.http.status}${t.http.outcome === 'complete' ? '' : ` (${t.http.outcome})`}`,
    'finish reason': s.finish_reason ?? undefined,
    'input tokens': u?.input_tokens?.toString(),
    'output tokens': u?.output_tokens?.toString(),
    'total tokens': u?.total_tokens?.toString(),
  };
}

/**
 * Compare two traces: request (conversation and parameters), response (text, tool calls, finish reason, usage)
 * and timing (TTFB, durations, chunk count, gap distribution).
 * @example
 * const d = diffTraces(a, b);
 * d.response.text.filter((o) => o.op !== 'same');
 */
export function diffTraces(a: Trace, b: Trace, summarize: Summarize = summarizeResponse): TraceDiff {
  const sa = summarize(a.metadata.provider, a.response);
  const sb = summarize(b.metadata.provider, b.response);
  const messages = diffTokens(lineTokens(formatMessages(a.request)), lineTokens(formatMessages(b.request)));
  const params = fieldDiffs(requestParams(a.request), requestParams(b.request));
  const text = diffWords(sa.text, sb.text);
  const toolCalls = diffTokens(lineTokens(formatToolCalls(sa.tool_calls)), lineTokens(formatToolCalls(sb.tool_calls)));
  const fields = fieldDiffs(summaryFields(a, sa), summaryFields(b, sb));
  const ma = streamMetrics(a, { outputTokens: sa.usage?.output_tokens });
  const mb = streamMetrics(b, { outputTokens: sb.usage?.output_tokens });
  const row = (label: string, unit: NumberDiff['unit'], pick: (m: typeof ma, t: Trace) => number | null | undefined): NumberDiff => ({
    label,
    unit,
    a: pick(ma, a) ?? null,
    b: pick(mb, b) ?? null,
  });
  const rows = [
    row('TTFB', 'ms', (m) => m.firstChunkLatencyMs),
    row('First content', 'ms', (m) => m.firstContentLatencyMs),
    row('Duration', 'ms', (_, t) => t.metadata.duration_ms),
    row('Stream duration', 'ms', (m, t) => (t.metadata.stream ? m.streamDurationMs : null)),
    row('Chunks', 'count', (m, t) => (t.metadata.stream ? m.totalChunks : null)),
    row('Average gap', 'ms', (m) => m.averageChunkMs),
    row('p50 gap', 'ms', (m) => m.p50GapMs),
    row('p95 gap', 'ms', (m) => m.p95GapMs),
    row('Longest stall', 'ms', (m) => m.longestStall?.ms),
    row('Tokens/sec', 'tok/s', (m) => m.tokensPerSecond),
  ];
  const changed = (ops: DiffOp[]) => ops.some((o) => o.op !== 'same');
  return {
    ids: [a.id, b.id],
    request: { messages, params },
    response: { text, toolCalls, fields },
    timing: { rows, histogram: { labels: gapBucketLabels(), a: gapHistogram(ma.gaps), b: gapHistogram(mb.gaps) } },
    sameContent: ![messages, text, toolCalls].some(changed) && params.every((p) => p.same) && fields.every((f) => f.same),
  };
}
