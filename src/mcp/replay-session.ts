/**
 * MCP sessions at replay. The replay mints its own `Mcp-Session-Id` in its answer to `initialize` and
 * requires it afterwards (400 without it, 404 once the session ended or for one it never minted), answers
 * with the client's JSON-RPC ids, keeps the GET stream open until the session ends, and holds whatever
 * the server said after asking the client something (sampling, elicitation) until the client's answer has
 * arrived. Matching itself ignores ids and progress tokens (see matchView).
 */
import { randomUUID } from 'node:crypto';
import type { InteractionKey } from '../cassette/match.js';
import type { Playback, PlannedPiece } from '../replay/plan.js';
import type { Trace } from '../trace/types.js';
import { idOf, isResponse, messagesOf, methodOf, type JsonRpcId } from './message.js';
import { SESSION_HEADER } from './marker.js';
import { idMap, rewriteJson, rewriteSseEvent, serverRequestIds } from './rewrite.js';

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

interface Session {
  ended: boolean;
  end: Deferred;
  /** Server requests answered by the client, by the server's JSON-RPC id. */
  answers: Map<JsonRpcId, Deferred>;
  /** The server's requests to the client seen on the session's streams so far, at their recorded wall-clock time (ms). */
  asks: Array<{ at: number; id: JsonRpcId }>;
}

export interface McpRequest {
  method: string;
  url: string;
  body: unknown;
  headers?: Record<string, string | string[] | undefined>;
}

/** What the replay answers itself, instead of the recording. */
export interface McpRefusal {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const pathOf = (url: string): string => url.split('?')[0]!;

function headerOf(req: McpRequest, name: string): string | undefined {
  const v = req.headers?.[name];
  return Array.isArray(v) ? v[0] : v;
}

function refusal(status: number, code: number, message: string): McpRefusal {
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  return { status, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }, body };
}

export interface McpReplay {
  /**
   * The keys as matching sees them: a GET stream is told apart by the `Last-Event-ID` it resumed from (the
   * client sends back an id it got from the tape), as it has no body; a cassette lists streams in the order they ended.
   */
  matchKeys(keys: readonly InteractionKey[]): InteractionKey[];
  /** The request as matching sees it (see matchKeys). */
  matchRequest<R extends McpRequest>(req: R): R;
  /** Before matching: a refusal for a request of a session the replay did not mint, or that ended. */
  admit(req: McpRequest): McpRefusal | undefined;
  /** After matching: the recording as this client must get it. */
  adapt(req: McpRequest, key: InteractionKey, trace: Trace, plan: Playback): Playback;
}

/** The MCP layer for a cassette's interactions, or undefined when none of them is MCP. */
export function createMcpReplay(keys: readonly InteractionKey[]): McpReplay | undefined {
  if (!keys.some((k) => k.mcp)) return undefined;
  // Endpoints where the recorded server assigned sessions: a request there needs the minted id.
  const sessionful = new Set(keys.filter((k) => k.mcp && k.mcp.session !== null).map((k) => pathOf(k.url)));
  const sessions = new Map<string, Session>();

  const answered = (s: Session, id: JsonRpcId): Deferred => {
    let d = s.answers.get(id);
    if (!d) s.answers.set(id, (d = deferred()));
    return d;
  };

  const mcpPaths = new Set(keys.filter((k) => k.mcp).map((k) => pathOf(k.url)));
  const streamBody = (resume: string | undefined) => ({ 'last-event-id': resume ?? null });
  return {
    matchKeys: (all) => all.map((k) => (k.mcp?.method === 'stream' ? { ...k, body: streamBody(k.mcp.resume) } : k)),
    matchRequest: (req) =>
      req.method.toUpperCase() === 'GET' && mcpPaths.has(pathOf(req.url)) ? { ...req, body: JSON.stringify(streamBody(headerOf(req, 'last-event-id'))) } : req,

    admit(req) {
      if (!sessionful.has(pathOf(req.url))) return undefined;
      const messages = messagesOf(req.body);
      const verb = req.method.toUpperCase();
      if (verb === 'POST' && (messages.length === 0 || messages.some((m) => methodOf(m) === 'initialize'))) return undefined;
      const sid = headerOf(req, SESSION_HEADER);
      if (sid === undefined) return refusal(400, -32000, 'Bad Request: Mcp-Session-Id header is required (traceforge replay: send the id its answer to initialize gave)');
      const s = sessions.get(sid);
      if (!s || s.ended) return refusal(404, -32001, `Session not found (traceforge replay: ${s ? 'it was ended by a DELETE' : 'this replay did not mint it'}; initialize again)`);
      for (const m of messages) {
        const id = idOf(m);
        if (isResponse(m) && id !== undefined) answered(s, id).resolve();
      }
      return undefined;
    },

    adapt(req, key, trace, plan) {
      if (!key.mcp) return plan;
      let sid = headerOf(req, SESSION_HEADER);
      const assigns = plan.headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === SESSION_HEADER);
      if (sid === undefined && assigns && plan.status < 300) {
        sid = randomUUID();
        sessions.set(sid, { ended: false, end: deferred(), answers: new Map(), asks: [] });
      }
      const session = sid !== undefined ? sessions.get(sid) : undefined;
      const headers = plan.headers.map((h, i) => (i % 2 === 1 && plan.headers[i - 1]!.toLowerCase() === SESSION_HEADER && sid !== undefined ? sid : h));
      const map = idMap(key.body, req.body);
      let pieces = plan.pieces;
      const rewrite = map.ids.size > 0 || map.tokens.size > 0;
      if (trace.http.framing === 'sse') {
        const texts = pieces.map((p) => decoder.decode(p.bytes));
        // Pieces are placed on the session's recorded timeline by the request's start (ms precision).
        const base = Date.parse(trace.timestamp);
        if (session) texts.forEach((t, i) => serverRequestIds(t).forEach((id) => session.asks.push({ at: base + pieces[i]!.at, id })));
        pieces = pieces.map((p, i) => {
          const changed = rewrite ? rewriteSseEvent(texts[i]!, map) : undefined;
          // Whatever the server sent after asking the client something, on any stream of the session, waits
          // for the client's answer (the SDK answers on a POST of its own, whenever it is ready).
          const waits = session ? session.asks.filter((a) => a.at < base + p.at).map((a) => answered(session, a.id).promise) : [];
          const gate = waits.length > 0 ? Promise.all(waits).then(() => undefined) : undefined;
          const out: PlannedPiece = { ...p, ...(changed !== undefined ? { bytes: encoder.encode(changed) } : {}), ...(gate ? { gate } : {}) };
          return out;
        });
      } else if (rewrite && pieces.length > 0) {
        const text = decoder.decode(Buffer.concat(pieces.map((p) => p.bytes)));
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        const next = parsed === undefined ? undefined : rewriteJson(parsed, map);
        if (next !== undefined) pieces = [{ ...pieces[pieces.length - 1]!, bytes: encoder.encode(JSON.stringify(next)) }];
      }
      const total = pieces.reduce((n, p) => n + p.bytes.length, 0);
      const sized = headers.map((h, i) => (i % 2 === 1 && headers[i - 1]!.toLowerCase() === 'content-length' ? String(total) : h));
      const verb = req.method.toUpperCase();
      if (verb === 'DELETE' && session && plan.status < 300) {
        session.ended = true;
        session.end.resolve();
      }
      // The GET stream stays open until the session ends, as the server kept it, unless the server itself closed
      // it for the client to resume (an event with `retry:`): the SDK would reconnect to a stream that ended.
      const resumable = (trace.chunks ?? []).some((c) => c.retry !== undefined);
      const hold = verb === 'GET' && plan.status === 200 && trace.http.framing === 'sse' && !resumable;
      return { ...plan, headers: sized, pieces, ...(hold ? { drop: false, holdOpen: session?.end.promise ?? new Promise<void>(() => undefined) } : {}) };
    },
  };
}
