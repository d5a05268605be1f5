/**
 * Replaying a recorded WebSocket session as a two-sided conversation, on the replay server's own
 * socket (an HTTP upgrade): each client frame is checked against the one recorded at its place, each
 * server frame goes out at its recorded offset counted from the client frame it answered (a causal
 * gate: a slow client never receives answers to what it has not said yet), and the session closes as
 * it was closed. A client frame that differs ends the session with code 1008 and a miss that names the
 * frame, the JSON path and the recorded value.
 */
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { createKeyMatcher, type MatchOptions, type MissExplanation } from '../cassette/match.js';
import { FORWARD_HEADER } from '../intercept/hosts.js';
import { redactString, redactUrl } from '../trace/redact.js';
import type { Trace } from '../trace/types.js';
import { compareFrame, DEFAULT_VOLATILE_FIELDS } from '../ws/frame-match.js';
import { frameBytes, isWsTrace, type WsSession } from '../ws/tape.js';
import type { InteractionSource } from './interaction-source.js';
import { waitUntil } from './scheduler.js';
import { faultsFor, type Fault } from './faults.js';

export interface WsReplayOptions {
  source: InteractionSource;
  speed: number;
  match?: MatchOptions;
  /** Client-frame fields left out of the check, by name at any depth or dotted path. Default `['event_id']`. */
  volatileFields?: readonly string[];
  onMiss(miss: MissExplanation): void;
  /**
   * The replay's faults, applied to server frames (counted from 1, `@N` counting sessions): `drop-after=N` cuts
   * the connection after N of them, `stall=K:MS` holds frame K and those after it MS longer, `truncate-json=N`
   * sends half of frame N, `status=CODE` refuses the upgrade with that status.
   */
  faults?: readonly Fault[];
  /** An upgrade with no recording (record modes send it on to the recorder); without it, the upgrade is refused with 404. */
  fallback?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

/** The close code a session ends with when the app said something the recording did not (policy violation). */
export const MISMATCH_CLOSE_CODE = 1008;

interface Received {
  binary: boolean;
  bytes: Buffer;
  at: number;
}

const asBuffer = (data: RawData): Buffer => (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));

/** Handle every WebSocket upgrade `server` receives from now on. Returns a stop that ends the sessions playing. */
export function attachWsReplay(server: Server, options: WsReplayOptions): () => void {
  const matcher = createKeyMatcher(options.source.keys, options.match);
  const volatile = options.volatileFields ?? DEFAULT_VOLATILE_FIELDS;
  const live = new Set<WebSocket>();
  let sessions = 0;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const number = ++sessions;
    void (async () => {
      const url = req.url ?? '/';
      const found = req.headers[FORWARD_HEADER] === undefined ? matcher.match({ method: 'GET', url, body: '', headers: req.headers }) : undefined;
      let trace: Trace | undefined;
      if (found && !('miss' in found)) {
        const t = await options.source.load(found.index);
        if (isWsTrace(t)) trace = t;
      }
      if (!trace) {
        if (options.fallback) return options.fallback(req, socket, head);
        const miss: MissExplanation =
          found && 'miss' in found
            ? { ...found.miss, message: `WebSocket upgrade: ${found.miss.message}` }
            : { type: 'traceforge_replay_miss', message: `WebSocket upgrade to ${redactUrl(url)}: the recording that matches it is not a WebSocket session; re-record it`, request: { method: 'GET', url: redactUrl(url), body: null } };
        options.onMiss(miss);
        const body = JSON.stringify({ error: miss });
        socket.end(`HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
        return;
      }
      const active = faultsFor(options.faults ?? [], number);
      const status = active.find((f): f is Extract<Fault, { kind: 'status' }> => f.kind === 'status');
      if (status) {
        const body = JSON.stringify({ error: { type: 'traceforge_fault', message: `upgrade refused with ${status.status} (TraceForge fault)` } });
        socket.end(`HTTP/1.1 ${status.status} ${STATUS_CODES[status.status] ?? ''}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${status.retryAfter !== undefined ? `retry-after: ${status.retryAfter}\r\n` : ''}connection: close\r\n\r\n${body}`);
        return;
      }
      const session = trace.websocket!;
      const recorded = session.protocol;
      const wss = new WebSocketServer({
        noServer: true,
        perMessageDeflate: false,
        // The subprotocol recorded, when the client offers it again (a redacted key subprotocol stands for any key).
        handleProtocols: (offered) => {
          if (!recorded) return false;
          for (const p of offered) if (p === recorded || (recorded.includes('[REDACTED]') && p.startsWith(recorded.split('[REDACTED]')[0]!))) return p;
          return false;
        },
      });
      const extra = trace.http.response_headers.filter(([k]) => !/^(upgrade|connection|sec-websocket-(accept|protocol|extensions)|content-length|transfer-encoding|date)$/i.test(k));
      wss.on('headers', (headers) => {
        for (const [k, v] of extra) headers.push(`${k}: ${v}`);
      });
      const t = trace;
      wss.handleUpgrade(req, socket, head, (ws) => {
        live.add(ws);
        ws.once('close', () => live.delete(ws));
        void converse(ws, session, t, found && !('miss' in found) ? found.index : -1, options, volatile, active).catch(() => ws.terminate());
      });
    })().catch(() => socket.destroy());
  });
  return () => {
    for (const ws of live) ws.terminate();
  };
}

async function converse(ws: WebSocket, session: WsSession, trace: Trace, index: number, options: WsReplayOptions, volatile: readonly string[], faults: readonly Fault[]): Promise<void> {
  const speed = options.speed;
  const inbox: Received[] = [];
  let wake: (() => void) | undefined;
  let gone = false;
  let clientClose: { code: number; reason: string } | undefined;
  let finished = false;
  let clientFrames = 0;
  const url = redactUrl(trace.http.url);
  const mismatch = (frameIndex: number, clientIndex: number, what: string, field: string, rec: string, got: string): void => {
    const message = redactString(
      `WebSocket session ${url} (recording #${index}, id ${trace.id}): client frame #${clientIndex} (frame ${frameIndex} of the session) ${what}. ` +
        'Re-record the session (TRACEFORGE_RECORD=all), or mark a field that changes on every run volatile (websocket: { volatileFields: [...] }).',
    );
    options.onMiss({
      type: 'traceforge_replay_miss',
      message,
      request: { method: 'GET', url, body: null },
      closest: { index, id: trace.id, method: 'GET', url, differences: [{ field, recorded: rec, received: redactString(got) }] },
    });
    // A close reason holds at most 123 bytes.
    if (ws.readyState === ws.OPEN) ws.close(MISMATCH_CLOSE_CODE, Buffer.from(`traceforge: client frame #${clientIndex} differs at ${field}`).subarray(0, 123).toString());
  };
  ws.on('message', (data, isBinary) => {
    const got = { binary: isBinary, bytes: asBuffer(data), at: performance.now() };
    clientFrames++;
    if (finished) {
      // Past the last recorded client frame: the app said more than it did at recording time.
      const n = clientFrames;
      mismatch(-1, n, 'was not recorded: the recorded session has fewer client frames', `client frame #${n}`, '(none)', got.bytes.toString(isBinary ? 'base64' : 'utf8').slice(0, 120));
      return;
    }
    inbox.push(got);
    wake?.();
  });
  ws.once('close', (code, reason) => {
    gone = true;
    clientClose = { code, reason: reason.toString() };
    wake?.();
  });
  const next = async (): Promise<Received | undefined> => {
    while (inbox.length === 0 && !gone) await new Promise<void>((r) => (wake = r));
    wake = undefined;
    return inbox.shift();
  };
  const isGone = () => gone;
  const open = performance.now();
  // The anchor: when the last client frame arrived, and where it sits on the tape.
  let anchorAt = open;
  let anchorTape = 0;
  const when = (ms: number) => (speed === 0 ? anchorAt : anchorAt + Math.max(0, ms - anchorTape) / speed);
  let clientIndex = 0;
  let serverIndex = 0;
  let stalled = 0;
  const dropAfter = faults.find((f): f is Extract<Fault, { kind: 'drop-after' }> => f.kind === 'drop-after')?.chunk;
  const stall = faults.find((f): f is Extract<Fault, { kind: 'stall' }> => f.kind === 'stall');
  const truncate = faults.find((f): f is Extract<Fault, { kind: 'truncate-json' }> => f.kind === 'truncate-json')?.chunk;
  if (dropAfter === 0) {
    ws.terminate();
    return;
  }
  for (let i = 0; i < session.frames.length; i++) {
    const f = session.frames[i]!;
    if (f.from === 'server') {
      serverIndex++;
      if (stall && serverIndex === stall.chunk) stalled = stall.ms;
      await waitUntil(when(f.at_ms) + stalled / (speed || 1), isGone);
      if (gone) return;
      const bytes = frameBytes(f);
      const payload = truncate === serverIndex ? bytes.subarray(0, Math.floor(bytes.length / 2)) : bytes;
      // Cut without a close frame once this frame is written, as an HTTP drop is after its chunk.
      if (dropAfter === serverIndex) {
        ws.send(payload, { binary: f.opcode === 'binary' }, () => ws.terminate());
        return;
      }
      ws.send(payload, { binary: f.opcode === 'binary' });
      continue;
    }
    clientIndex++;
    const got = await next();
    if (!got) {
      if (clientClose) {
        options.onMiss({
          type: 'traceforge_replay_miss',
          message: `WebSocket session ${url} (recording #${index}, id ${trace.id}): the client closed (code ${clientClose.code}) before client frame #${clientIndex} (frame ${i} of the session), which the recording has.`,
          request: { method: 'GET', url, body: null },
          closest: { index, id: trace.id, method: 'GET', url, differences: [{ field: `client frame #${clientIndex}`, recorded: (f.text ?? f.base64 ?? '').slice(0, 120), received: '(closed)' }] },
        });
      }
      return;
    }
    const diff = compareFrame(f, got, volatile);
    if (diff) {
      const what = diff.path === 'opcode' ? `is ${diff.received}, recorded ${diff.recorded}` : `differs at ${diff.path}: recorded ${diff.recorded}, received ${redactString(diff.received)}`;
      mismatch(i, clientIndex, what, diff.path, diff.recorded, diff.received);
      return;
    }
    anchorAt = got.at;
    anchorTape = f.at_ms;
  }
  finished = true;
  // Frames that arrived before the recording's client frames ran out but were not expected.
  for (const extra of inbox.splice(0)) {
    clientIndex++;
    mismatch(-1, clientIndex, 'was not recorded: the recorded session has fewer client frames', `client frame #${clientIndex}`, '(none)', extra.bytes.toString(extra.binary ? 'base64' : 'utf8').slice(0, 120));
    return;
  }
  const close = session.close;
  if (!close || close.by === 'client') return;
  await waitUntil(when(close.at_ms) + stalled / (speed || 1), isGone);
  if (gone) return;
  if (close.by === 'none') ws.terminate();
  else ws.close(close.code, close.reason ?? '');
}
