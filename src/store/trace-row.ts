import { promptOf } from '../trace/prompt.js';
import type { Outcome, Provider } from '../trace/types.js';
import { readMarker, type McpMarker } from '../mcp/marker.js';

/** What `trace list` shows of one trace: small, and cheap to get without parsing chunks. */
export interface TraceRow {
  /** File name inside the trace directory. */
  file: string;
  id: string;
  timestamp: string;
  endpoint: string;
  method: string;
  model: string | null;
  provider: Provider;
  stream: boolean;
  status: 'success' | 'error';
  http_status: number;
  outcome: Outcome;
  /** Number of chunks; null for non-streamed calls. */
  chunks: number | null;
  duration_ms: number;
  /** First chunk latency (streams) or first body byte; null when the body was empty. */
  ttfb_ms: number | null;
  /** Its framing was synthesised from parsed chunks (a first-TraceForge trace, read as is or upgraded). */
  synthesized?: boolean;
  /** The `schema_version` of a first-TraceForge file read as is (not yet upgraded), e.g. "1.0.0". */
  legacy?: string;
  /**
   * The first words of the last user message (at most 120 characters, raw: escape before printing). Absent when
   * the request holds no user text, or when a listing found the request cut by its read window (over 16 KiB).
   */
  prompt?: string;
  /** A call of an MCP session: its JSON-RPC method, what it names, and the session (see docs/mcp.md). */
  mcp?: McpMarker;
  /** A WebSocket session: frames each way (its duration is `duration_ms`). */
  websocket?: { client: number; server: number };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const withPrompt = (request: unknown): { prompt?: string } => {
  const p = promptOf(request);
  return p === null ? {} : { prompt: p };
};
const withMcp = (v: unknown): { mcp?: McpMarker } => {
  const mcp = readMarker(v);
  return mcp ? { mcp } : {};
};
const wsOf = (v: unknown): { websocket?: { client: number; server: number } } =>
  isObj(v) && typeof v.client_frames === 'number' && typeof v.server_frames === 'number' ? { websocket: { client: v.client_frames, server: v.server_frames } } : {};
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Build a row from a trace's top-level members (a parsed trace or the members a header read found).
 * Returns a reason string when a member the table needs is missing or malformed.
 */
export function rowFromMembers(file: string, m: Record<string, unknown>): TraceRow | string {
  const meta = m.metadata;
  const http = m.http;
  if (typeof m.id !== 'string' || typeof m.timestamp !== 'string' || typeof m.endpoint !== 'string') return 'id, timestamp or endpoint is missing';
  if (!isObj(meta) || typeof meta.stream !== 'boolean') return 'metadata is missing';
  if (!isObj(http) || num(http.status) === null) return 'http.status is missing';
  const stream = meta.stream;
  const chunks = num(m.total_chunks) ?? (Array.isArray(m.chunks) ? m.chunks.length : null);
  if (stream && chunks === null) return 'total_chunks is missing';
  return {
    file,
    id: m.id,
    timestamp: m.timestamp,
    endpoint: m.endpoint,
    method: typeof http.method === 'string' ? http.method : 'POST',
    model: typeof meta.model === 'string' ? meta.model : null,
    provider: (typeof meta.provider === 'string' ? meta.provider : 'unknown') as Provider,
    stream,
    status: meta.status === 'error' ? 'error' : 'success',
    http_status: num(http.status)!,
    outcome: (typeof http.outcome === 'string' ? http.outcome : 'complete') as Outcome,
    chunks: stream ? chunks : null,
    duration_ms: num(meta.duration_ms) ?? 0,
    ttfb_ms: num(m.first_chunk_latency_ms) ?? num(http.first_byte_ms),
    ...(http.synthesized === true ? { synthesized: true } : {}),
    ...wsOf(meta.websocket),
    ...withPrompt(m.request),
    ...withMcp(meta.mcp),
  };
}
