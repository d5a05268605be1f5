/**
 * Fault points: the positions in a recorded stream where a fault changes what the app sees, and the
 * faults a sweep runs there. Pure: a trace in, a list out, the same list for the same trace.
 *
 * A position `p` is the number of chunks the app receives intact before the fault takes effect
 * (0 = before the first body byte). Each fault kind reads it its own way:
 *   drop-after=p        chunks 1..p, then the connection closes
 *   error-event=p       chunks 1..p, then the provider's own error event
 *   truncate-json=p+1   chunks 1..p, then chunk p+1 with half its JSON (only where chunk p+1 is JSON)
 *   stall=p+1:MS        chunks 1..p on time, the rest MS late
 *   status=CODE         once, before the first byte (position 0 only)
 */
import { TraceForgeError } from '../errors.js';
import { formatFault, parseFault, type Fault } from '../replay/faults.js';
import { isRecord } from '../trace/providers/common.js';
import { FALLBACK, protocolOf, type ChunkRole } from '../trace/providers/registry.js';
import { reconstruct } from '../trace/reconstruct.js';
import type { Provider, Trace, TraceChunk } from '../trace/types.js';

export type SweepKind = 'drop-after' | 'stall' | 'truncate-json' | 'error-event' | 'status';
export const SWEEP_KINDS: readonly SweepKind[] = ['status', 'drop-after', 'truncate-json', 'error-event', 'stall'];

/** Default number of positions per positional kind (meaningful points first, then evenly spaced ones). */
export const DEFAULT_BUDGET = 16;
/** Default stall: longer than the idle timeouts apps usually set for a stream (1-5 s), short enough to sweep. */
export const DEFAULT_STALL_MS = 5000;
/**
 * `traceforge sweep`'s default stall when the command replays through its own `useCassette` on the
 * virtual clock (which the sweep asks of the swept cassette's useCassette): a stall there costs no wall time, so it
 * can outlast the 30-60 s stream and request timeouts apps set, and no test runner's timeout is hit by it.
 */
export const DEFAULT_VIRTUAL_STALL_MS = 120_000;
/** Default status faults: a rate limit whose retry-after allows an immediate retry, and a server error. */
export const DEFAULT_STATUSES: readonly string[] = ['429:0', '500'];

export interface PointOptions {
  /** Fault kinds to sweep, in this order. Default: all of SWEEP_KINDS. */
  kinds?: readonly SweepKind[];
  /** Positions per positional kind, meaningful ones first. Default DEFAULT_BUDGET. */
  budget?: number;
  /** The request (from 1) the faults apply to. Default 1. */
  request?: number;
  /** How long a stall lasts, in wall-clock ms. Default DEFAULT_STALL_MS. */
  stallMs?: number;
  /** Status faults as `CODE` or `CODE:RETRY_AFTER`. Default DEFAULT_STATUSES. */
  statuses?: readonly string[];
}

/** One fault of a sweep: a Fault (usable as `useCassette(path, { faults: [fault] })`) with its name and place. */
export type SweepFault = Fault & {
  request: number;
  /** The `--fault` / TRACEFORGE_FAULTS spelling, e.g. `drop-after=12@1`. */
  spec: string;
  /** Readable, e.g. `drop-after=12 (inside tool call "get_weather" arguments)`. */
  name: string;
  /** Chunks the app receives intact before the fault (0 = before the first byte). */
  position: number;
  /** Where the position falls in the stream, e.g. `inside tool call "get_weather" arguments`. */
  where: string;
  /** Chunks in the recorded stream. */
  chunks: number;
};

export type { ChunkRole };

export interface StreamPoint {
  position: number;
  /** Why the position matters; the first is the main one. */
  reasons: string[];
  /** Meaningful (from the format) rather than evenly spaced. */
  meaningful: boolean;
}

const quote = (s: string) => JSON.stringify(s);

/** A trace's recorded stream events, or undefined when it did not stream. */
export function streamedChunks(trace: Trace): TraceChunk[] | undefined {
  const chunks = trace.chunks;
  if (!chunks || chunks.length === 0) return undefined;
  if (trace.http.framing === 'raw') return undefined;
  return chunks;
}

export interface StreamAnalysis {
  provider: Provider;
  /** Whether the provider has a rule here (else only evenly spaced points and the first content). */
  known: boolean;
  roles: ChunkRole[];
  /** 0-based index of the first content event, from the provider's reconstructor. */
  firstContentIndex: number | null;
}

/** What each event of a recorded stream is, using the provider's reconstructor for provider and first content. */
export function analyzeStream(trace: Trace): StreamAnalysis {
  const chunks = streamedChunks(trace) ?? [];
  const path = trace.http.url || trace.endpoint;
  const rec = reconstruct({
    endpoint: (path.split('?')[0] ?? '') || trace.endpoint,
    url: path,
    request: trace.request,
    requestHeaders: trace.http.request_headers,
    status: trace.http.status,
    stream: true,
    chunks: chunks.map((c) => ({ ...(c.event !== undefined ? { event: c.event } : {}), data: c.data })),
    ...(trace.metadata.upstream ? { upstream: trace.metadata.upstream } : {}),
  });
  const provider = rec.provider === 'unknown' && trace.metadata.provider !== 'unknown' ? trace.metadata.provider : rec.provider;
  const module = protocolOf(provider);
  return { provider, known: module !== FALLBACK, roles: module.roles(chunks), firstContentIndex: rec.firstContentIndex };
}

/** Where a position falls, in words, from the events around it (for evenly spaced points). */
export function describePosition(position: number, analysis: StreamAnalysis): string {
  const { roles, firstContentIndex } = analysis;
  const n = roles.length;
  if (position <= 0) return 'before the first byte';
  if (position >= n) return 'after the last chunk';
  const next = roles[position]!;
  const prev = roles[position - 1]!;
  const at = `after chunk ${position} of ${n}`;
  if (!analysis.known) {
    // No rule for this format: only the reconstructor's first content says where the content starts.
    if (next.terminator) return `${at}, right before the terminator`;
    if (firstContentIndex === null) return at;
    return `${at}, ${position <= firstContentIndex ? 'before' : 'after'} the first content`;
  }
  if (next.terminator) return `${at}, right before the terminator`;
  if (next.toolArgs !== undefined && prev.toolArgs !== undefined && prev.block === next.block) return `${at}, inside tool call ${quote(next.toolArgs)} arguments`;
  if (next.block !== undefined && prev.block !== undefined && next.block === prev.block && next.content) return `${at}, inside ${next.blockName ?? 'a block'}`;
  if (next.finish) return `${at}, right before the finish event`;
  if (roles.slice(0, position).some((r) => r.content)) {
    if (roles.slice(position).some((r) => r.content)) return `${at}, in the content`;
    return `${at}, after the content`;
  }
  return `${at}, before the first content`;
}

/**
 * The positions in a stream where a fault changes what the app sees, meaningful ones first (before
 * the first byte, after the first content event, inside each tool call's arguments, between content
 * blocks, right before the finish event, right before the terminator, after usage), then evenly
 * spaced ones, `budget` in all (meaningful ones are kept in that order when they alone exceed it).
 * Returned sorted by position, each position once with every reason it matters.
 */
export function streamPoints(analysis: StreamAnalysis, budget = DEFAULT_BUDGET): StreamPoint[] {
  const { roles } = analysis;
  const n = roles.length;
  const found: Array<{ position: number; reason: string }> = [];
  const add = (position: number, reason: string) => {
    if (position >= 0 && position < n) found.push({ position, reason });
  };
  add(0, 'before the first byte');
  if (analysis.firstContentIndex !== null) add(analysis.firstContentIndex + 1, `after the first content event (chunk ${analysis.firstContentIndex + 1})`);
  // Inside each tool call's arguments: after the first argument delta when more follow, else just before its only one.
  const seenTools = new Set<string>();
  roles.forEach((r, i) => {
    if (r.toolArgs === undefined) return;
    const key = r.block ?? `tool@${i}`;
    if (seenTools.has(key)) return;
    seenTools.add(key);
    const deltas = roles.flatMap((x, j) => (j >= i && x.toolArgs !== undefined && (x.block ?? `tool@${j}`) === key ? [j] : []));
    if (deltas.length >= 2) add(deltas[Math.floor((deltas.length - 1) / 2)]! + 1, `inside tool call ${quote(r.toolArgs)} arguments`);
    else add(i, `right before tool call ${quote(r.toolArgs)} arguments`);
  });
  // Between content blocks: just before the first event of each block after the first.
  let lastBlock: string | undefined;
  let lastName: string | undefined;
  const startedBlocks = new Set<string>();
  roles.forEach((r, i) => {
    if (r.block === undefined || startedBlocks.has(r.block)) return;
    startedBlocks.add(r.block);
    if (lastBlock !== undefined) add(i, `between content blocks (${lastName ?? 'block'} → ${r.blockName ?? 'block'})`);
    lastBlock = r.block;
    lastName = r.blockName;
  });
  const finish = roles.findIndex((r) => r.finish && !r.terminator);
  if (finish >= 0) add(finish, 'right before the finish event');
  const terminator = roles.findIndex((r) => r.terminator);
  if (terminator >= 0) {
    add(terminator, roles[terminator]!.finish && finish < 0 ? 'right before the finish event and terminator' : 'right before the terminator');
  }
  let usageAt = -1;
  roles.forEach((r, i) => {
    if (r.usage) usageAt = i;
  });
  if (usageAt >= 0) add(usageAt + 1, 'after usage');

  const byPosition = new Map<number, string[]>();
  const order: number[] = [];
  for (const f of found) {
    const reasons = byPosition.get(f.position);
    if (reasons) {
      if (!reasons.includes(f.reason)) reasons.push(f.reason);
    } else {
      byPosition.set(f.position, [f.reason]);
      order.push(f.position);
    }
  }
  const limit = Math.max(1, Math.floor(budget));
  const kept = order.slice(0, limit);
  const points: StreamPoint[] = kept.map((position) => ({ position, reasons: byPosition.get(position)!, meaningful: true }));
  const needed = limit - kept.length;
  if (needed > 0) {
    const taken = new Set(kept);
    const free: number[] = [];
    for (let p = 1; p < n; p++) if (!taken.has(p)) free.push(p);
    const count = Math.min(needed, free.length);
    for (let k = 0; k < count; k++) {
      const position = free[Math.floor(((k + 0.5) * free.length) / count)]!;
      points.push({ position, reasons: [`evenly spaced, ${describePosition(position, analysis)}`], meaningful: false });
    }
  }
  return points.sort((a, b) => a.position - b.position);
}

/**
 * A point's reasons, said for a kind: drop-after and error-event act at the boundary itself; stall and
 * truncate-json act on the chunk after it (chunk p+1), so "right before the finish event" becomes
 * "the finish event" for a truncation, and position 0 is "the first chunk" (the headers were sent).
 */
export function whereFor(kind: SweepKind, point: StreamPoint, chunks: number): string {
  if (kind !== 'truncate-json' && kind !== 'stall') return point.reasons.join('; ');
  const k = point.position + 1;
  return point.reasons
    .map((r) => {
      if (r === 'before the first byte') return 'the first chunk';
      if (r.startsWith('evenly spaced, ')) return r.replace(/after chunk \d+ of (\d+)/, `chunk ${k} of $1`);
      if (kind === 'stall') return r;
      if (r.startsWith('right before ')) return r.slice('right before '.length);
      if (r.startsWith('between content blocks')) return r.replace('between content blocks', 'the start of the next content block');
      if (r.startsWith('after ')) return `the event ${r}`;
      return r;
    })
    .join('; ')
    .concat(kind === 'truncate-json' && k === chunks ? ' (the last chunk)' : '');
}

function isJsonChunk(c: TraceChunk | undefined): boolean {
  return c !== undefined && (isRecord(c.data) || Array.isArray(c.data));
}

/** Parse `--kinds drop-after,stall` (or an array); unknown names are an error naming the accepted ones. */
export function parseKinds(value: string | readonly string[]): SweepKind[] {
  const list = (typeof value === 'string' ? value.split(',') : value).map((s) => s.trim()).filter((s) => s !== '');
  const bad = list.filter((k) => !(SWEEP_KINDS as readonly string[]).includes(k));
  if (bad.length > 0 || list.length === 0) {
    throw new TraceForgeError('E_USAGE', `unknown fault kind${bad.length === 1 ? '' : 's'} ${bad.length ? bad.map((b) => `"${b}"`).join(', ') : '(none given)'}: use a comma-separated list of ${SWEEP_KINDS.join(', ')}`);
  }
  return [...new Set(list as SweepKind[])];
}

/**
 * The faults of a sweep for one recorded streamed interaction: per kind (in `kinds` order), one fault
 * per point, sorted by position. Empty when the trace did not stream.
 */
export function faultsForTrace(trace: Trace, options: PointOptions = {}): SweepFault[] {
  const chunks = streamedChunks(trace);
  if (!chunks) return [];
  const kinds = options.kinds ?? SWEEP_KINDS;
  const request = options.request ?? 1;
  const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  const analysis = analyzeStream(trace);
  const points = streamPoints(analysis, options.budget ?? DEFAULT_BUDGET);
  const n = chunks.length;
  const out: SweepFault[] = [];
  const seen = new Set<string>();
  const push = (fault: Fault, position: number, where: string) => {
    const withRequest = { ...fault, request } as Fault;
    const spec = formatFault(withRequest);
    if (seen.has(spec)) return;
    seen.add(spec);
    const shown = request === 1 ? formatFault({ ...fault, request: undefined } as Fault) : spec;
    const fault_ = { ...withRequest, request, spec, name: `${shown} (${where})`, position, where, chunks: n } as SweepFault;
    // `describe.each(faults)('%s', ...)` titles each block with the whole name (vitest's `$name` cuts it at 40
    // characters); not enumerable, so the fault stays plain data for JSON, equality and worker messages.
    Object.defineProperty(fault_, 'toString', { value: () => fault_.name, enumerable: false });
    out.push(fault_);
  };
  for (const kind of kinds) {
    if (kind === 'status') {
      for (const s of options.statuses ?? DEFAULT_STATUSES) {
        const f = parseFault(`status=${s}`);
        push(f, 0, 'before the first byte');
      }
      continue;
    }
    for (const p of points) {
      const where = whereFor(kind, p, n);
      if (kind === 'drop-after') push({ kind, chunk: p.position }, p.position, where);
      else if (kind === 'error-event') push({ kind, after: p.position }, p.position, where);
      else if (kind === 'stall') push({ kind, chunk: p.position + 1, ms: stallMs }, p.position, where);
      else if (kind === 'truncate-json' && p.position + 1 <= n && isJsonChunk(chunks[p.position])) push({ kind, chunk: p.position + 1 }, p.position, where);
    }
  }
  return out;
}
