/**
 * A WebSocket session as one cassette interaction: the handshake lives in the trace's `http` (GET, the
 * path and query, request headers, status 101, response headers), the conversation in its `websocket`
 * key: every frame in both directions with its opcode, payload and offset, then the close. Old
 * cassettes have no `websocket` key and read as before. Pure: no network, no process.
 */
import { REDACTED, redactHeaderPairs, redactHeaderRecord, redactString, redactUrl } from '../trace/redact.js';
import { TRACE_SCHEMA_VERSION, type Provider, type Trace } from '../trace/types.js';

export type WsSide = 'client' | 'server';

/** One frame. `at_ms`: ms since the handshake's 101 arrived, on the recorder's clock, sub-ms kept. */
export interface WsFrame {
  from: WsSide;
  at_ms: number;
  opcode: 'text' | 'binary';
  /** The payload when it is UTF-8 text (a binary frame of JSON, as Gemini Live sends, stays readable). */
  text?: string;
  /** The payload as base64 when it is not UTF-8. */
  base64?: string;
}

export interface WsClose {
  /** Who sent the close frame first; `none` when the connection ended without one (a drop). */
  by: WsSide | 'none';
  /** Absent when the close frame carried no code (1005) or there was none. */
  code?: number;
  reason?: string;
  at_ms: number;
}

export interface WsSession {
  /** The subprotocol the server chose, redacted like a header value. */
  protocol?: string;
  frames: WsFrame[];
  close?: WsClose;
}

/** A trace that holds a WebSocket session. */
export type WsTrace = Trace & { websocket: WsSession };

export const isWsTrace = (t: Trace): t is WsTrace => (t as Partial<WsTrace>).websocket !== undefined;

/** The subprotocol OpenAI's browser client sends its key in (`openai-insecure-api-key.<key>`). */
const KEY_PROTOCOL = /^(openai-insecure-api-key\.)(.+)$/i;

/** A `sec-websocket-protocol` list with keys carried as subprotocols blanked. */
export function redactProtocols(value: string): string {
  return value
    .split(',')
    .map((p) => {
      const t = p.trim();
      const m = KEY_PROTOCOL.exec(t);
      return m ? `${m[1]}${REDACTED}` : redactString(t);
    })
    .join(', ');
}

/** The payload of a frame as the tape keeps it: text when it is UTF-8 that decodes back to the same bytes. */
export function framePayload(bytes: Uint8Array): { text: string } | { base64: string } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buf.toString('utf8');
  return Buffer.from(text, 'utf8').equals(buf) ? { text } : { base64: buf.toString('base64') };
}

export function frameBytes(frame: WsFrame): Buffer {
  return frame.text !== undefined ? Buffer.from(frame.text, 'utf8') : Buffer.from(frame.base64 ?? '', 'base64');
}

/** What the recorder saw of one session, before redaction. */
export interface RawWsSession {
  id: string;
  timestamp: string;
  /** Where it went, e.g. `wss://api.openai.com/v1/realtime?model=gpt-realtime`. */
  upstream: string;
  requestHeaders: Record<string, string>;
  status: number;
  statusMessage: string;
  responseHeaders: Array<[string, string]>;
  /** Request sent -> 101 arrived. */
  headersMs: number;
  protocol?: string;
  frames: Array<{ from: WsSide; at: number; binary: boolean; bytes: Uint8Array }>;
  close?: WsClose;
  /** Why the handshake or the session failed, when it did. */
  error?: string;
  /** Request sent -> connection gone. */
  durationMs: number;
}

const HOP = new Set(['connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-accept', 'sec-websocket-extensions', 'host', 'content-length']);

function providerOf(url: URL): Provider {
  if (/generativelanguage|BidiGenerateContent/i.test(url.href)) return 'gemini';
  if (url.pathname.endsWith('/responses')) return 'openai-responses';
  if (/openai/i.test(url.hostname) || url.pathname.includes('/realtime')) return 'openai';
  return 'unknown';
}

/**
 * A recorded session as a trace, with every secret the handshake carried (Authorization, api-key
 * headers, `?key=`/`?api-key=` in the URL, a key sent as subprotocol) removed from the handshake
 * and from every text frame.
 */
export function wsTraceOf(raw: RawWsSession): WsTrace {
  const url = new URL(raw.upstream);
  const secrets: string[] = [];
  for (const [k, v] of Object.entries(raw.requestHeaders)) {
    if (/^(authorization|api-key|x-api-key|x-goog-api-key)$/i.test(k)) secrets.push(v.replace(/^Bearer\s+/i, ''));
    if (k.toLowerCase() === 'sec-websocket-protocol') for (const p of v.split(',')) {
      const m = KEY_PROTOCOL.exec(p.trim());
      if (m) secrets.push(m[2]!);
    }
  }
  for (const [k, v] of url.searchParams) if (/^(key|api-key|api_key)$/i.test(k)) secrets.push(v);
  const keep = secrets.filter((s) => s.length >= 8);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw.requestHeaders)) {
    const name = k.toLowerCase();
    if (HOP.has(name) || name.startsWith('x-traceforge-')) continue;
    headers[name] = name === 'sec-websocket-protocol' ? redactProtocols(v) : v;
  }
  const path = redactUrl(url.pathname + url.search, keep);
  const frames: WsFrame[] = raw.frames.map((f) => {
    const payload = framePayload(f.bytes);
    return {
      from: f.from,
      at_ms: f.at,
      opcode: f.binary ? 'binary' : 'text',
      // Key shapes and credential fields anywhere in a text payload, as in an HTTP body, and the handshake's own secrets.
      ...('text' in payload ? { text: redactString(payload.text, keep) } : payload),
    };
  });
  const last = frames.length > 0 ? frames[frames.length - 1]!.at_ms : 0;
  const model = url.searchParams.get('model');
  return {
    schema_version: TRACE_SCHEMA_VERSION,
    id: raw.id,
    timestamp: raw.timestamp,
    endpoint: url.pathname,
    request: null,
    response: null,
    metadata: {
      duration_ms: raw.durationMs,
      status: raw.status === 101 && raw.error === undefined ? 'success' : 'error',
      model,
      provider: providerOf(url),
      // Not an HTTP stream: there are no chunks; the frames are in `websocket`.
      stream: false,
      upstream: `${url.protocol}//${url.host}`,
      websocket: { client_frames: frames.filter((f) => f.from === 'client').length, server_frames: frames.filter((f) => f.from === 'server').length },
    },
    stream_duration_ms: frames.length > 0 ? last - frames[0]!.at_ms : 0,
    http: {
      method: 'GET',
      url: path,
      request_headers: redactHeaderRecord(headers, keep),
      status: raw.status,
      status_message: raw.statusMessage,
      response_headers: redactHeaderPairs(raw.responseHeaders.filter(([k]) => !HOP.has(k.toLowerCase())), keep),
      framing: 'raw',
      headers_ms: raw.headersMs,
      outcome: raw.error === undefined ? 'complete' : 'upstream_aborted',
      ...(raw.error !== undefined ? { error: redactString(raw.error, keep) } : {}),
    },
    websocket: {
      ...(raw.protocol ? { protocol: redactProtocols(raw.protocol) } : {}),
      frames,
      ...(raw.close ? { close: { ...raw.close, ...(raw.close.reason ? { reason: redactString(raw.close.reason, keep) } : {}) } } : {}),
    },
  };
}

/** Frames each way and how long the session lasted, for listings. */
export function wsSummary(s: WsSession): { client: number; server: number; durationMs: number } {
  let client = 0;
  let server = 0;
  for (const f of s.frames) f.from === 'client' ? client++ : server++;
  const end = Math.max(s.close?.at_ms ?? 0, s.frames.length > 0 ? s.frames[s.frames.length - 1]!.at_ms : 0);
  return { client, server, durationMs: end };
}
