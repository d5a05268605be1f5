import { createHash } from 'node:crypto';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { createDecoder, detectFraming } from '../stream/framing.js';

/** CLOCK_MONOTONIC in ms: the same clock in every process on the machine, so stamps compare across processes. */
export const mono = (): number => Number(process.hrtime.bigint()) / 1e6;

/** What the benchmark client saw of one response. */
export interface Timed {
  status: number;
  /** mono() when the request was sent. */
  sentAt: number;
  /** mono() when each frame's last byte arrived. */
  frameAt: number[];
  /** Bytes of each read, when kept. */
  body?: Buffer;
  /** sha256 of the body. */
  sha256: string;
  bytes: number;
  /** The connection closed before the body was complete. */
  dropped: boolean;
}

/** Fresh connections for every request: concurrent clients should not queue behind a pool limit. */
const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

/**
 * POST JSON and stamp every SSE/NDJSON frame as it arrives (raw bodies are stamped per read).
 * `keepBody: false` keeps only the hash and the byte count, for many concurrent streams.
 */
export function timedPost(url: string, body: unknown, opts: { keepBody?: boolean; headers?: Record<string, string>; socket?: Socket } = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const payload = Buffer.from(JSON.stringify(body));
    const hash = createHash('sha256');
    const parts: Buffer[] = [];
    const frameAt: number[] = [];
    let bytes = 0;
    let status = 0;
    let settled = false;
    const finish = (dropped: boolean) => {
      if (settled) return;
      settled = true;
      resolve({ status, sentAt, frameAt, sha256: hash.digest('hex'), bytes, dropped, ...(opts.keepBody === false ? {} : { body: Buffer.concat(parts) }) });
    };
    const req = request(
      {
        // On a connection already open (opts.socket), sentAt is when the request leaves, as an upstream's own clock starts when it arrives.
        ...(opts.socket ? { createConnection: () => opts.socket! } : { agent }),
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': payload.length, ...opts.headers },
      },
      (res) => {
        status = res.statusCode ?? 0;
        const framing = detectFraming(res.headers['content-type']);
        const decoder = createDecoder(framing);
        res.on('data', (c: Buffer) => {
          const at = mono();
          bytes += c.length;
          hash.update(c);
          if (opts.keepBody !== false) parts.push(c);
          if (framing === 'raw') frameAt.push(at);
          // A frame's time is its last byte's read: frame.at, which may be an earlier read than this one.
          else for (const f of decoder.push(c, at)) frameAt.push(f.at ?? at);
        });
        res.on('end', () => {
          const at = mono();
          for (const f of decoder.end(at)) frameAt.push(f.at ?? at);
          finish(false);
        });
        res.on('aborted', () => finish(true));
        res.on('error', () => finish(true));
      },
    );
    req.on('error', (e) => (status === 0 ? reject(e) : finish(true)));
    req.setNoDelay(true);
    const sentAt = mono();
    req.end(payload);
  });
}

/** A TCP connection to `url`'s host, open: for a timedPost whose clock should not include connecting. */
export function openConnection(url: string): Promise<Socket> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port), noDelay: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)]!;
};

/**
 * Timing against a plan (ms after the request). A stream's arrivals carry one constant offset (the
 * request's transit and connection setup), so each chunk's error is its deviation from that offset,
 * taken as the median of `arrival_i - sent - planned_i`: anchoring on one chunk would turn that
 * chunk's own lateness into everyone's error. Drift is how far the timeline slid from its start to its
 * end (median error of the last 10 chunks minus the first 10); TTFB error is the first chunk's
 * `arrival - sent - planned`, connection setup included.
 */
export function timingErrors(t: Pick<Timed, 'sentAt' | 'frameAt'>, planned: readonly number[]): { errors: number[]; drift: number; ttfb: number } {
  const n = Math.min(t.frameAt.length, planned.length);
  const raw: number[] = [];
  for (let i = 0; i < n; i++) raw.push(t.frameAt[i]! - t.sentAt - planned[i]!);
  const offset = median(raw);
  const k = Math.min(10, Math.floor(n / 2));
  return {
    errors: raw.map((e) => e - offset),
    drift: n > 1 ? median(raw.slice(n - k)) - median(raw.slice(0, k)) : Number.NaN,
    ttfb: raw[0] ?? Number.NaN,
  };
}
