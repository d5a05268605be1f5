/**
 * JSON-RPC 2.0 as MCP uses it over streamable HTTP: what a message is, and which of its parts a replay
 * may not compare (the client picks request ids and progress tokens, so two runs of one agent differ there).
 */

export type JsonRpcId = string | number;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is JsonRpcId => typeof v === 'string' || typeof v === 'number';

/** A JSON-RPC 2.0 message: a request, a notification or a response. */
export function isJsonRpc(v: unknown): v is Record<string, unknown> {
  return isObj(v) && v.jsonrpc === '2.0';
}

/** The messages a POST body carries (one, or a batch of the 2025-03-26 revision). */
export function messagesOf(body: unknown): Array<Record<string, unknown>> {
  if (Array.isArray(body)) return body.filter(isJsonRpc);
  return isJsonRpc(body) ? [body] : [];
}

/** The request's method, or undefined for a response. */
export function methodOf(m: Record<string, unknown>): string | undefined {
  return typeof m.method === 'string' ? m.method : undefined;
}

/** The id a request or response carries (undefined for a notification). */
export function idOf(m: Record<string, unknown>): JsonRpcId | undefined {
  return isId(m.id) ? m.id : undefined;
}

/** A response: an id and a result or error, no method. */
export function isResponse(m: Record<string, unknown>): boolean {
  return methodOf(m) === undefined && ('result' in m || 'error' in m);
}

/** What a request names: the tool or prompt (`params.name`), or the resource (`params.uri`). */
export function nameOf(m: Record<string, unknown>): string | undefined {
  const p = m.params;
  if (!isObj(p)) return undefined;
  if (typeof p.name === 'string') return p.name;
  return typeof p.uri === 'string' ? p.uri : undefined;
}

/** The progress token a request asked its notifications to carry. */
export function progressTokenOf(m: Record<string, unknown>): JsonRpcId | undefined {
  const meta = isObj(m.params) ? m.params._meta : undefined;
  return isObj(meta) && isId(meta.progressToken) ? meta.progressToken : undefined;
}

/**
 * A message as matching compares it: without the request id (the client's counter) and the progress
 * token in `params._meta` (the SDK makes it the request id). Everything else, `_meta`'s other fields
 * included, still has to be equal. Bodies that are not JSON-RPC come back as they were.
 */
export function matchView(body: unknown): unknown {
  if (Array.isArray(body)) return body.some(isJsonRpc) ? body.map(matchView) : body;
  if (!isJsonRpc(body)) return body;
  // The client's answer to a server request carries the server's id, the same at replay: dropped all the same,
  // so one rule covers every message.
  const { id: _id, ...rest } = body;
  const params = rest.params;
  if (!isObj(params) || !isObj(params._meta) || !('progressToken' in params._meta)) return rest;
  const { progressToken: _t, ...meta } = params._meta;
  const { _meta: _m, ...others } = params;
  return { ...rest, params: Object.keys(meta).length > 0 ? { ...others, _meta: meta } : others };
}

/** `MCP tools/call "count"`: how a miss or a listing names one message. */
export function describeMessage(body: unknown): string | undefined {
  const [m, ...more] = messagesOf(body);
  if (!m) return undefined;
  const method = methodOf(m) ?? (isResponse(m) ? 'response' : 'message');
  const name = nameOf(m);
  return `MCP ${method}${name !== undefined ? ` ${JSON.stringify(name)}` : ''}${more.length > 0 ? ` (+${more.length} more in the batch)` : ''}`;
}

const brief = (v: unknown): string => {
  const s = JSON.stringify(v) ?? '';
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/**
 * One SSE event of an MCP stream as a timeline shows it: `notifications/progress 2/3`, `sampling/createMessage #0`
 * (a server request and its id), `result {...}`; undefined when its data is not JSON-RPC.
 */
export function eventPreview(data: unknown): string | undefined {
  const [m] = messagesOf(data);
  if (!m) return undefined;
  const method = methodOf(m);
  const params = isObj(m.params) ? m.params : {};
  if (method === 'notifications/progress') return `${method} ${String(params.progress)}${params.total !== undefined ? `/${String(params.total)}` : ''}`;
  if (method !== undefined) return `${method}${idOf(m) !== undefined ? ` #${String(idOf(m))}` : ''}`;
  return 'error' in m ? `error ${brief(m.error)}` : `result ${brief(m.result)}`;
}
