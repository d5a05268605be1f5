import { request } from 'node:http';
import type { MatchOptions } from '../cassette/match.js';
import type { Trace } from '../trace/types.js';
import type { Playback } from './plan.js';
import { waitUntil } from './scheduler.js';

/** The warm-up replay is sped up to last about this long. */
const WARM_REPLAY_MS = 10;
/** A warm-up that has not finished by then is abandoned: it must never hold up a server's start. */
const WARM_LIMIT_MS = 2000;

export interface WarmUpParts {
  /** The cassette's interactions already in memory, or one read for the purpose (see warmUpTraces in interaction-source.ts). */
  traces: ReadonlyArray<Trace | undefined>;
  match?: MatchOptions;
  /** Plan (and keep the plan of) an interaction, as the request path does. */
  plan(trace: Trace): Playback;
  /** Start a server on the same code path with these interactions, that does not warm up itself. */
  serve(traces: Trace[], speed: number, match: MatchOptions | undefined): Promise<{ url: string; close(): Promise<void> }>;
}

/** Whether this thread (isolate) has already sent its warm-up request: JIT and Node's lazy set-up are per thread. */
let warmedPath = false;

/** The request body a recording matches, as bytes: its JSON body, its raw text, or nothing. */
function requestBody(t: Trace): Buffer {
  if (t.request !== null && t.request !== undefined) return Buffer.from(JSON.stringify(t.request));
  if (t.http.request_body_raw !== undefined && t.http.request_body_encoding !== 'base64') return Buffer.from(t.http.request_body_raw);
  if (t.http.request_body_raw !== undefined) return Buffer.from(t.http.request_body_raw, 'base64');
  return Buffer.alloc(0);
}

function send(url: string, t: Trace): Promise<void> {
  return new Promise((resolve) => {
    const body = requestBody(t);
    const u = new URL(t.http.url, url);
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: t.http.method, agent: false, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.once('end', () => resolve());
        res.once('error', () => resolve());
        res.once('aborted', () => resolve());
        res.once('close', () => resolve());
      },
    );
    req.once('error', () => resolve());
    req.setTimeout(WARM_LIMIT_MS, () => req.destroy());
    req.end(body);
  });
}

/**
 * What the first request in a fresh process would otherwise pay for on its own clock, done before the
 * server says it is listening (issue 20): every interaction already in memory is planned (its chunks
 * decoded once, kept as the request path keeps them), and, once per thread, one recording is replayed over a real connection to a private
 * server on the same code path (request parsing, matching, planning, the scheduler's timer and spin,
 * the piece writer), so that code is compiled and Node's HTTP machinery is set up. That replay is sped
 * up to take about 10 ms and is abandoned after 2 s; it never touches the real server's matcher, its
 * served list or its lateness. Never throws.
 */
export async function warmUp(parts: WarmUpParts): Promise<void> {
  let sample: Trace | undefined;
  for (const t of parts.traces) {
    if (!t) continue;
    try {
      parts.plan(t);
      // The smallest stream is the cheapest full tour of the streaming path.
      if ((t.chunks?.length ?? 0) > 0 && (!sample || (t.chunks?.length ?? 0) < (sample.chunks?.length ?? 0))) sample = t;
    } catch {
      // A recording that cannot be planned fails when it is served, with its own message.
    }
  }
  // The scheduler's two ways to wait: a timer, then the spin.
  await waitUntil(performance.now() + 3);
  await waitUntil(performance.now() + 0.5);
  if (warmedPath) return;
  // Nothing in memory (a cassette too big to parse whole): its first request pays for its own read anyway.
  sample ??= parts.traces.find((t) => t !== undefined);
  if (!sample) return;
  warmedPath = true;
  try {
    const last = parts.plan(sample).pieces.at(-1)?.at ?? 0;
    const server = await parts.serve([sample], Math.max(1, last / WARM_REPLAY_MS), parts.match);
    try {
      await Promise.race([send(server.url, sample), new Promise((r) => setTimeout(r, WARM_LIMIT_MS).unref())]);
    } finally {
      await server.close();
    }
  } catch {
    // A warm-up that fails leaves the first request cold, nothing worse.
  }
}
