/**
 * The chunks of a first-TraceForge trace (schema "1.0.0") and the wire framing we synthesise for them.
 * We do not have that tool's code: the chunk shapes accepted here are inferred from issue 12's description
 * (`chunks` with `delta_ms`, no raw bytes) and kept deliberately loose. Pure.
 */
import { protocolOfPayload } from './providers/registry.js';

export const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A finite number, or a numeric string; anything else is undefined. */
export function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Milliseconds since the epoch of a timestamp given as ISO text, epoch ms or epoch seconds. */
export function epochMs(v: unknown): number | undefined {
  const n = num(v);
  if (n !== undefined) return n > 1e11 ? n : n > 1e8 ? n * 1000 : undefined;
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

/** One legacy chunk, read: its gap, the provider payload it carried (or a bare text piece), and what else it held. */
export interface LegacyChunk {
  delta?: number;
  /** Per-chunk wall-clock time, when the chunk had one (used when `delta_ms` is missing). */
  at?: number;
  event?: string;
  /** The provider's event payload: parsed JSON, or a string such as `[DONE]`. Undefined for a text piece. */
  payload?: unknown;
  /** Text with no provider payload around it (`{ "content": "Hel" }` or a bare string). */
  text?: string;
  /** Fields of the chunk that are neither timing nor payload, kept as they were. */
  extra?: Record<string, unknown>;
}

/** Keys that may hold a chunk's provider payload, in the order they are tried. */
const PAYLOAD_KEYS = ['data', 'chunk', 'payload', 'json', 'event_data', 'raw_data', 'body'];
const DELTA_KEYS = ['delta_ms', 'deltaMs', 'delta_time_ms', 'gap_ms', 'elapsed_since_last_ms'];
const TIME_KEYS = ['timestamp', 'time', 'received_at', 'ts'];
/** Our TraceChunk's own field names: a legacy field of the same name is moved aside, not mixed in. */
const OURS = new Set(['delta_ms', 'event', 'id', 'retry', 'comments', 'data', 'raw', 'raw_encoding', 'partial', 'legacy']);

const first = (o: Record<string, unknown>, keys: readonly string[]) => keys.find((k) => o[k] !== undefined);

/** `data: {...}` / `event: x\ndata: {...}` text: the SSE fields of one block. */
function sseText(s: string): { event?: string; data?: string } | undefined {
  if (!/^(?:data|event):/.test(s.trimStart())) return undefined;
  let event: string | undefined;
  const data: string[] = [];
  for (const line of s.split(/\r\n|\r|\n/)) {
    const m = /^(data|event):\s?(.*)$/.exec(line);
    if (m?.[1] === 'event') event = m[2];
    else if (m?.[1] === 'data') data.push(m[2]!);
  }
  return { ...(event !== undefined ? { event } : {}), ...(data.length ? { data: data.join('\n') } : {}) };
}

function parseJsonText(s: string): unknown {
  const t = s.trim();
  if (!/^[[{"]/.test(t)) return s;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return s;
  }
}

/** A payload given as text: JSON text, SSE text, `[DONE]`, or plain text (a text piece). */
function fromString(s: string): Pick<LegacyChunk, 'payload' | 'text' | 'event'> {
  const sse = sseText(s);
  if (sse) return { ...(sse.event !== undefined ? { event: sse.event } : {}), payload: sse.data === undefined ? '' : parseJsonText(sse.data) };
  if (s.trim() === '[DONE]') return { payload: '[DONE]' };
  const parsed = parseJsonText(s);
  return typeof parsed === 'string' ? { text: s } : { payload: parsed };
}

/** Read one legacy chunk; a value that cannot be a chunk gives a reason instead. */
export function readLegacyChunk(c: unknown): LegacyChunk | string {
  if (typeof c === 'string') return fromString(c);
  if (!isObj(c)) return `must be an object or a string, got ${c === null ? 'null' : Array.isArray(c) ? 'an array' : typeof c}`;
  const out: LegacyChunk = {};
  const dk = first(c, DELTA_KEYS);
  if (dk) out.delta = num(c[dk]);
  const tk = first(c, TIME_KEYS);
  if (tk) out.at = epochMs(c[tk]);
  const used = new Set<string>([...(dk ? [dk] : []), ...(tk ? [tk] : [])]);
  const pk = first(c, PAYLOAD_KEYS);
  if (typeof c.event === 'string' && !/[\r\n]/.test(c.event)) {
    out.event = c.event;
    used.add('event');
  }
  if (pk) {
    used.add(pk);
    const v = c[pk];
    if (typeof v === 'string') Object.assign(out, fromString(v), out.event !== undefined ? { event: out.event } : {});
    else out.payload = v;
  } else if (isObj(c.event)) {
    used.add('event');
    out.payload = c.event;
  } else {
    const tx = first(c, ['content', 'text', 'delta', 'token']);
    if (tx && typeof c[tx] === 'string' && !looksLikePayload(c)) {
      used.add(tx);
      out.text = c[tx] as string;
    } else {
      // The chunk is the provider's payload with timing added (the first proxy sent clients exactly this).
      const payload: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(c)) if (!used.has(k) && k !== 'event') payload[k] = v;
      out.payload = payload;
      return out;
    }
  }
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) if (!used.has(k)) extra[k] = v;
  if (Object.keys(extra).length > 0) out.extra = extra;
  return out;
}

/** A provider's own event: one a protocol module recognises, or one with the fields such events carry. */
function looksLikePayload(o: Record<string, unknown>): boolean {
  return protocolOfPayload(o) !== undefined || ['object', 'message', 'done', 'type', 'model'].some((k) => k in o);
}

/** Chunk fields that are not ours, kept on the converted chunk (a name we use goes under `legacy`). */
export function keptExtra(extra: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!extra) return {};
  const top: Record<string, unknown> = {};
  const aside: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(extra)) (OURS.has(k) ? aside : top)[k] = v;
  return Object.keys(aside).length > 0 ? { ...top, legacy: aside } : top;
}

/** One SSE block for a payload: `event:` only when the stream names its events, `data:` lines, blank line. */
export function sseBlock(payload: unknown, event: string | undefined, eol = '\n'): string {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload) ?? 'null';
  const lines = event !== undefined ? [`event: ${event}`] : [];
  for (const d of text.split(/\r\n|\r|\n/)) lines.push(d === '' ? 'data:' : `data: ${d}`);
  return `${lines.join(eol)}${eol}${eol}`;
}

/** The event name to frame a payload with: the chunk's own, else the payload's `type` when the protocol names its events. */
export function eventFor(namedEvents: boolean, c: LegacyChunk): string | undefined {
  if (c.event !== undefined) return c.event;
  const t = isObj(c.payload) ? c.payload.type : undefined;
  return namedEvents && typeof t === 'string' && !/[\r\n]/.test(t) ? t : undefined;
}
