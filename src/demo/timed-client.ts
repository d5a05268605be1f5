import { request } from 'node:http';
import { createDecoder, detectFraming } from '../stream/framing.js';

export interface TimedResponse {
  status: number;
  body: Buffer;
  /** ms from sending the request to the arrival of each frame's last byte. */
  frameTimes: number[];
}

/** A plain node:http client that stamps every frame as it arrives, to measure replay timing. */
export function timedPost(url: string, body: unknown): Promise<TimedResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const payload = JSON.stringify(body);
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        const decoder = createDecoder(detectFraming(res.headers['content-type']));
        const parts: Buffer[] = [];
        const frameTimes: number[] = [];
        res.on('data', (c: Buffer) => {
          const at = performance.now() - sent;
          parts.push(c);
          // A frame's time is its last byte's read: frame.at, which may be an earlier read than this one.
          for (const f of decoder.push(c, at)) frameTimes.push(f.at ?? at);
        });
        res.on('end', () => {
          const at = performance.now() - sent;
          for (const f of decoder.end(at)) frameTimes.push(f.at ?? at);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), frameTimes });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    const sent = performance.now();
    req.end(payload);
  });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
