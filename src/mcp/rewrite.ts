/**
 * Rewriting a recorded MCP answer for the client at replay: its JSON-RPC response ids and progress tokens
 * become the ones this client sent (SSE `data:` events and JSON bodies alike). A message left unchanged
 * keeps its recorded bytes.
 */
import { idOf, isResponse, messagesOf, methodOf, progressTokenOf, type JsonRpcId } from './message.js';

/** Recorded id -> the client's, for response ids and for progress tokens. */
export interface IdMap {
  ids: Map<JsonRpcId, JsonRpcId>;
  tokens: Map<JsonRpcId, JsonRpcId>;
}

/** Pair the recorded request's messages with the client's, position by position (a batch keeps its order). */
export function idMap(recorded: unknown, received: unknown): IdMap {
  const a = messagesOf(recorded);
  const b = messagesOf(received);
  const ids = new Map<JsonRpcId, JsonRpcId>();
  const tokens = new Map<JsonRpcId, JsonRpcId>();
  a.forEach((m, i) => {
    const got = b[i];
    if (!got) return;
    const [ra, rb] = [idOf(m), idOf(got)];
    if (ra !== undefined && rb !== undefined && ra !== rb) ids.set(ra, rb);
    const [ta, tb] = [progressTokenOf(m), progressTokenOf(got)];
    if (ta !== undefined && tb !== undefined && ta !== tb) tokens.set(ta, tb);
  });
  return { ids, tokens };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One message with the client's ids, or undefined when nothing in it changes. */
function rewriteMessage(m: unknown, map: IdMap): unknown {
  if (!isObj(m) || m.jsonrpc !== '2.0') return undefined;
  const id = idOf(m);
  // Only responses carry the client's ids: a server's own request (sampling, elicitation) keeps the server's id.
  if (isResponse(m) && id !== undefined && map.ids.has(id)) return { ...m, id: map.ids.get(id) };
  const params = m.params;
  if (methodOf(m) === 'notifications/progress' && isObj(params)) {
    const t = params.progressToken;
    if ((typeof t === 'string' || typeof t === 'number') && map.tokens.has(t)) return { ...m, params: { ...params, progressToken: map.tokens.get(t) } };
  }
  return undefined;
}

/** A JSON body (one message or a batch) with the client's ids, or undefined when nothing changes. */
export function rewriteJson(value: unknown, map: IdMap): unknown {
  if (Array.isArray(value)) {
    const out = value.map((m) => rewriteMessage(m, map));
    return out.some((m) => m !== undefined) ? out.map((m, i) => m ?? value[i]) : undefined;
  }
  return rewriteMessage(value, map);
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/**
 * One SSE event's text with the client's ids in its data, or undefined when nothing changes. Its other
 * fields (`event:`, `id:`, `retry:`) and line ends stay as recorded; the data becomes one `data:` line.
 */
export function rewriteSseEvent(text: string, map: IdMap): string | undefined {
  const lines = text.split(/(?<=\n)/);
  const dataLines = lines.filter((l) => /^data(:|\r?\n$)/.test(l));
  if (dataLines.length === 0) return undefined;
  const data = dataLines.map((l) => l.replace(/^data:? ?/, '').replace(/\r?\n$/, '')).join('\n');
  const next = rewriteJson(parse(data), map);
  if (next === undefined) return undefined;
  const eol = /\r\n$/.test(dataLines[0]!) ? '\r\n' : '\n';
  let placed = false;
  return lines
    .map((l) => {
      if (!dataLines.includes(l)) return l;
      if (placed) return '';
      placed = true;
      return `data: ${JSON.stringify(next)}${eol}`;
    })
    .join('');
}

/** The server's own requests in one SSE event's data (sampling, elicitation, roots): their ids, which the client's answers carry. */
export function serverRequestIds(text: string): JsonRpcId[] {
  const data = text
    .split(/\r?\n/)
    .filter((l) => l.startsWith('data'))
    .map((l) => l.replace(/^data:? ?/, ''))
    .join('\n');
  return messagesOf(parse(data))
    .filter((m) => methodOf(m) !== undefined && idOf(m) !== undefined)
    .map((m) => idOf(m)!);
}
