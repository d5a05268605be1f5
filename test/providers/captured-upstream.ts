/**
 * A fake upstream that serves the captured streams of fixtures/third-party-streams byte for byte:
 * the recorded status and headers, then the body in the pieces a test chose, each in its own write
 * after its gap. Pieces are bytes, so a split can fall inside a UTF-8 character, a CRLF or a binary
 * event-stream message.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { startRecorder } from '../../src/record/recorder.js';
import { startReplayServer } from '../../src/replay/replay-server.js';
import { appendToCassette } from '../../src/store/cassette-file.js';
import type { Trace } from '../../src/trace/types.js';

export interface Piece {
  bytes: Uint8Array;
  /** ms after the previous piece (the first: after the headers). */
  gapMs: number;
}

export interface ServedStream {
  status: number;
  headers: Array<[string, string]>;
  pieces: Piece[];
}

export interface CapturedUpstream {
  url: string;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage) =>
  new Promise<void>((resolve) => {
    req.resume();
    req.on('end', resolve);
  });

/** Serve `pick(req)` for each request (its path and headers are whatever the client sent). */
export async function startCapturedUpstream(pick: (url: string) => ServedStream): Promise<CapturedUpstream> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    void (async () => {
      await readBody(req);
      const s = pick(req.url ?? '/');
      res.writeHead(s.status, s.headers.flat());
      res.flushHeaders();
      let at = performance.now();
      for (const p of s.pieces) {
        // As test/fakes/server.ts: absolute times, but never a burst after a late wake-up.
        at = Math.max(at + p.gapMs, performance.now() + p.gapMs / 2);
        const wait = at - performance.now();
        await new Promise((r) => (wait >= 1 ? setTimeout(r, wait) : setImmediate(r)));
        await new Promise<void>((r) => res.write(p.bytes, () => r()));
      }
      res.end();
    })();
  });
  server.on('connection', (s) => {
    s.setNoDelay(true);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A tiny seeded PRNG (mulberry32), so a failing split can be reproduced. */
export { seededRandom as seeded } from '../../src/demo/simulated-upstream.js';

/**
 * Hostile cut points for a body: between every CR and its LF, inside multi-byte UTF-8 characters,
 * and a few at random; event boundaries are not favoured, so neighbouring events often share a read.
 * At most `max` cuts, chosen with `rand`.
 */
export function hostileCuts(body: Uint8Array, rand: () => number, max = 40): number[] {
  const crlf: number[] = [];
  const utf8: number[] = [];
  for (let i = 1; i < body.length; i++) {
    if (body[i - 1] === 0x0d && body[i] === 0x0a) crlf.push(i);
    // A continuation byte after a lead or another continuation byte: a cut here splits a character.
    if ((body[i]! & 0xc0) === 0x80 && body[i - 1]! >= 0xc0) utf8.push(i);
  }
  const pick = (xs: number[], n: number) => Array.from({ length: Math.min(n, xs.length) }, () => xs[Math.floor(rand() * xs.length)]!);
  const random = Array.from({ length: 8 }, () => 1 + Math.floor(rand() * Math.max(1, body.length - 1)));
  const cuts = [...new Set([...pick(crlf, max / 2), ...pick(utf8, max / 4), ...random])].filter((c) => c > 0 && c < body.length);
  return cuts.sort((a, b) => a - b).slice(0, max);
}

/** Cut `body` at sorted `cuts` into pieces with gaps from `gapMs`. */
export function piecesAt(body: Uint8Array, cuts: readonly number[], gapMs: (i: number) => number): Piece[] {
  const out: Piece[] = [];
  let prev = 0;
  [...cuts, body.length].forEach((c, i) => {
    if (c > prev || (i === cuts.length && out.length === 0)) out.push({ bytes: body.slice(prev, c), gapMs: gapMs(i) });
    prev = Math.max(prev, c);
  });
  return out;
}

/** What {@link recordThenReplay} saw: per case name, the trace, the body the app got live and on replay. */
export interface RoundTrip {
  traces: Map<string, Trace>;
  live: Map<string, Buffer>;
  replayed: Map<string, Buffer>;
  /** The cassette file's text. */
  cassetteText: string;
  misses: string[];
}

const caseOf = (url: string) => new URL(url, 'http://x').searchParams.get('tf_case') ?? '';

/**
 * Serve each case from one local upstream (requests name their case in `?tf_case=`), send every case at
 * once through the real recorder, write one cassette in `dir`, and send every case again at once to the
 * real replay server at speed 0 (no recorded delays).
 */
export async function recordThenReplay(served: ReadonlyMap<string, ServedStream>, post: (base: string, name: string) => Promise<Buffer>, dir: string): Promise<RoundTrip> {
  const names = [...served.keys()];
  const out: RoundTrip = { traces: new Map(), live: new Map(), replayed: new Map(), cassetteText: '', misses: [] };
  const upstream = await startCapturedUpstream((url) => served.get(caseOf(url))!);
  const got: Trace[] = [];
  const rec = await startRecorder({ upstream: upstream.url, onTrace: (t) => void got.push(t) });
  try {
    await Promise.all(names.map(async (name) => out.live.set(name, await post(rec.url, name))));
    await rec.flush();
  } finally {
    await rec.close();
    await upstream.close();
  }
  for (const t of got) out.traces.set(caseOf(t.http.url), t);
  const cassette = join(dir, `${randomUUID()}.yaml`);
  await appendToCassette(cassette, got);
  out.cassetteText = await readFile(cassette, 'utf8');
  const replay = await startReplayServer({ cassette, speed: 0 });
  try {
    await Promise.all(names.map(async (name) => out.replayed.set(name, await post(replay.url, name))));
    out.misses = replay.misses.map((m) => m.message);
  } finally {
    await replay.close();
  }
  return out;
}
