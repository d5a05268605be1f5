/**
 * The recorder's WebSocket relay: it takes an app's upgrade, opens the same session to the upstream
 * (same path, query, headers and offered subprotocols), completes the app's handshake with what the
 * upstream answered, and passes every frame on as it arrives, stamping it first. It runs on the
 * recorder's proxy thread, which does nothing else, so a busy test cannot shift a stamp. The session is
 * reported whole once both sides are closed; building the trace and redacting happen on the other thread.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { RawWsSession, WsSide } from '../ws/tape.js';
import { joinUpstream } from './upstream-url.js';

export interface WsRelayOptions {
  host: string;
  /** The upstream base for an upgrade (http(s): is turned into ws(s):), or undefined when none can be told. */
  route(req: IncomingMessage): Promise<URL | undefined>;
  onSession(session: RawWsSession): void;
}

export interface WsRelay {
  readonly port: number;
  /** Handle an upgrade that arrived at another server (the proxy), which routed it to `upstream`. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer, upstream?: URL): void;
  /** Close every session (each is still reported) and stop. */
  close(): Promise<void>;
}

// What describes one hop's connection, never sent on.
const HOP = /^(host|connection|upgrade|sec-websocket-(key|version|extensions|protocol)|content-length|transfer-encoding|proxy-connection|keep-alive|x-traceforge-.*)$/i;

const asBuffer = (data: RawData): Buffer => (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));

function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error: { type: 'traceforge_record_error', message } });
  socket.end(`HTTP/1.1 ${status} ${status === 502 ? 'Bad Gateway' : 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

export async function startWsRelay(options: WsRelayOptions): Promise<WsRelay> {
  /** Sessions not yet reported: how to cut each, and whether a close handshake is under way in it. */
  const live = new Map<() => void, () => boolean>();
  const handle = (req: IncomingMessage, socket: Duplex, head: Buffer, upstream?: URL): void => {
    void (async () => {
      const base = upstream ?? (await options.route(req));
      if (!base) return refuse(socket, 502, `TraceForge cannot tell where the WebSocket session ${req.url} goes: pass an upstream (TRACEFORGE_UPSTREAM or --upstream)`);
      const target = joinUpstream(base, req.url ?? '/');
      target.protocol = target.protocol === 'https:' || target.protocol === 'wss:' ? 'wss:' : 'ws:';
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.test(k)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
      const id = randomUUID().replace(/-/g, '').slice(0, 12);
      const timestamp = new Date().toISOString();
      const sent = performance.now();
      let opened = sent;
      const frames: RawWsSession['frames'] = [];
      const session: RawWsSession = { id, timestamp, upstream: target.toString(), requestHeaders: { ...headers, ...(offered.length ? { 'sec-websocket-protocol': offered.join(', ') } : {}) }, status: 0, statusMessage: '', responseHeaders: [], headersMs: 0, frames, durationMs: 0 };
      const up = new WebSocket(target, offered, { headers, perMessageDeflate: false, followRedirects: false });
      let reported = false;
      const report = () => {
        if (reported) return;
        reported = true;
        session.durationMs = performance.now() - sent;
        live.delete(stop);
        options.onSession(session);
      };
      let accepted: WebSocket | undefined;
      const stop = () => {
        up.terminate();
        socket.destroy();
      };
      live.set(stop, () => up.readyState === up.CLOSING || accepted?.readyState === WebSocket.CLOSING);
      up.once('upgrade', (res: IncomingMessage) => {
        opened = performance.now();
        session.status = res.statusCode ?? 101;
        session.statusMessage = res.statusMessage ?? '';
        session.headersMs = opened - sent;
        const pairs: Array<[string, string]> = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
        session.responseHeaders = pairs;
      });
      // The upstream refused the session: the app gets its answer as it was, and nothing is recorded as a session.
      up.once('unexpected-response', (_r, res: IncomingMessage) => {
        const lines = [`HTTP/1.1 ${res.statusCode} ${res.statusMessage ?? ''}`];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) if (!/^(connection|transfer-encoding|keep-alive)$/i.test(res.rawHeaders[i]!)) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.once('end', () => {
          const body = Buffer.concat(parts);
          lines.push(`content-length: ${body.length}`, 'connection: close');
          socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]));
          live.delete(stop);
        });
      });
      // `on`, not `once`: an error after the first (a reset while closing) must not go unhandled on the proxy thread.
      up.on('error', (e) => {
        if (session.status === 0) {
          live.delete(stop);
          if (!socket.destroyed) refuse(socket, 502, `the WebSocket upstream ${target.origin} could not be reached: ${e.message}`);
        }
      });
      up.once('open', () => {
        const chosen = up.protocol;
        if (chosen) session.protocol = chosen;
        const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: () => chosen || false });
        const copied = session.responseHeaders.filter(([k]) => !/^(upgrade|connection|sec-websocket-(accept|protocol|extensions)|content-length|transfer-encoding)$/i.test(k));
        wss.on('headers', (out) => {
          for (const [k, v] of copied) out.push(`${k}: ${v}`);
        });
        wss.handleUpgrade(req, socket, head, (app) => {
          accepted = app;
          let closed: WsSide | 'none' | undefined;
          const stamp = (from: WsSide, data: RawData, binary: boolean) => {
            const bytes = asBuffer(data);
            frames.push({ from, at: performance.now() - opened, binary, bytes: new Uint8Array(bytes) });
            return bytes;
          };
          up.on('message', (data, binary) => {
            const bytes = stamp('server', data, binary);
            if (app.readyState === app.OPEN) app.send(bytes, { binary });
          });
          app.on('message', (data, binary) => {
            const bytes = stamp('client', data, binary);
            if (up.readyState === up.OPEN) up.send(bytes, { binary });
          });
          const closing = (by: WsSide, code: number, reason: Buffer, other: WebSocket) => {
            if (closed === undefined) {
              const at = performance.now() - opened;
              // 1005: a close frame without a code; 1006: no close frame at all (the connection dropped).
              closed = code === 1006 ? 'none' : by;
              session.close = { by: closed, at_ms: at, ...(code !== 1005 && code !== 1006 ? { code } : {}), ...(reason.length > 0 ? { reason: reason.toString() } : {}) };
              if (code === 1006) other.terminate();
              else if (other.readyState === other.OPEN) {
                if (code === 1005) other.close();
                else other.close(code, reason);
              }
            }
            if (app.readyState === app.CLOSED && up.readyState === up.CLOSED) report();
          };
          up.on('close', (code, reason) => closing('server', code, reason, app));
          app.on('close', (code, reason) => closing('client', code, reason, up));
          app.on('error', () => app.terminate());
        });
      });
    })().catch((e: unknown) => {
      if (!socket.destroyed) refuse(socket, 502, e instanceof Error ? e.message : String(e));
    });
  };
  const server: Server = createServer((_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('a WebSocket upgrade is expected here'));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => handle(req, socket, head));
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    handle,
    async close() {
      const tick = () => new Promise((r) => setTimeout(r, 10));
      // A session whose close handshake is under way (the app has said goodbye) ends as it was closed, not cut.
      for (let i = 0; i < 100 && [...live.values()].some((closing) => closing()); i++) await tick();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const stop of [...live.keys()]) stop();
      for (const s of sockets) s.destroy();
      await closed;
      // Each cut session reports once both of its sockets have closed, a turn or two later.
      for (let i = 0; i < 200 && live.size > 0; i++) await tick();
    },
  };
}
