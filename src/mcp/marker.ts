/**
 * Recognising MCP streamable-HTTP traffic in a recorded call, and the marker that groups a cassette's
 * calls into MCP sessions: every POST, GET and DELETE of one session carries the session id the server
 * assigned (absent in the sessionless 2026-07-28 generation), its JSON-RPC method and what it names.
 */
import { describeMessage, messagesOf, methodOf, nameOf } from './message.js';

export interface McpMarker {
  /** The `Mcp-Session-Id` the server assigned at recording time; null when there is none (2026-07-28 generation, or no session). */
  session: string | null;
  /** The JSON-RPC method (`initialize`, `tools/call`, `notifications/initialized`...), `response` for the client's answer to a server request, `stream` for a GET, `end` for a DELETE. */
  method: string;
  /** What the call names: the tool or prompt, or the resource's URI. */
  name?: string;
  /** The `Last-Event-ID` a GET resumed a stream from: replay serves the recording that resumed from it. */
  resume?: string;
}

export const SESSION_HEADER = 'mcp-session-id';

type Headers = Readonly<Record<string, string | undefined>>;

const headerOf = (pairs: ReadonlyArray<readonly [string, string]>, name: string): string | undefined =>
  pairs.find(([k]) => k.toLowerCase() === name)?.[1];

/**
 * The MCP marker of one call, or undefined when it is not MCP: a call is MCP when it carries an MCP
 * header (`Mcp-Session-Id`, `MCP-Protocol-Version`, `Mcp-Method`), its answer assigns a session, or it is
 * a JSON-RPC `initialize`.
 */
export function mcpMarker(call: { method: string; request: unknown; requestHeaders: Headers; responseHeaders: ReadonlyArray<readonly [string, string]> }): McpMarker | undefined {
  const h = call.requestHeaders;
  const assigned = headerOf(call.responseHeaders, SESSION_HEADER);
  const [first] = messagesOf(call.request);
  const sent = h[SESSION_HEADER];
  const mcpHeaders = sent !== undefined || h['mcp-protocol-version'] !== undefined || h['mcp-method'] !== undefined;
  if (!mcpHeaders && assigned === undefined && (first === undefined || methodOf(first) !== 'initialize')) return undefined;
  const verb = call.method.toUpperCase();
  const method = verb === 'GET' ? 'stream' : verb === 'DELETE' ? 'end' : first ? (methodOf(first) ?? 'response') : (h['mcp-method'] ?? 'unknown');
  const name = first ? nameOf(first) : h['mcp-name'];
  const resume = h['last-event-id'];
  return { session: sent ?? assigned ?? null, method, ...(name !== undefined ? { name } : {}), ...(resume !== undefined ? { resume } : {}) };
}

export interface McpSessionCalls<T> {
  session: string | null;
  /** The session's calls in the order their requests started. */
  calls: T[];
}

/**
 * A cassette's MCP calls grouped by session, each in the order its requests started (a cassette holds
 * calls in the order they ended: a GET stream ends with the session). Calls without a marker are left out.
 */
export function mcpSessions<T extends { timestamp: string; metadata: { mcp?: McpMarker } }>(traces: readonly T[]): Array<McpSessionCalls<T>> {
  const groups = new Map<string | null, T[]>();
  for (const t of traces) {
    const m = t.metadata.mcp;
    if (!m) continue;
    groups.set(m.session, [...(groups.get(m.session) ?? []), t]);
  }
  // Array.prototype.sort is stable: calls that started in the same millisecond keep cassette order.
  return [...groups].map(([session, calls]) => ({ session, calls: [...calls].sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp)) }));
}

export { describeMessage };

/** `tools/call "count"`: how a listing names one MCP call. */
export function mcpCallLabel(m: Pick<McpMarker, 'method' | 'name'>): string {
  return `${m.method}${m.name !== undefined ? ` ${JSON.stringify(m.name)}` : ''}`;
}

/** A marker read back from a file, or undefined when it is not one (a hand-edited or foreign field). */
export function readMarker(v: unknown): McpMarker | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const m = v as Record<string, unknown>;
  if (typeof m.method !== 'string' || (m.session !== null && typeof m.session !== 'string')) return undefined;
  return { session: m.session, method: m.method, ...(typeof m.name === 'string' ? { name: m.name } : {}), ...(typeof m.resume === 'string' ? { resume: m.resume } : {}) };
}
