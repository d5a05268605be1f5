/**
 * Record-then-replay harness for provider tests: fake upstreams per provider behind the recorder's
 * provider routing, a client run live through the recorder into a cassette, then the same client run
 * against the replay server. Every response body the client received is captured both times, so tests
 * can compare bytes as well as what the SDK made of them.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProviderRouter, type RoutedProvider } from '../../src/record/provider-routes.js';
import { startRecorder } from '../../src/record/recorder.js';
import { startReplayServer } from '../../src/replay/replay-server.js';
import { appendToCassette } from '../../src/store/cassette-file.js';
import { reconstruct } from '../../src/trace/reconstruct.js';
import type { Trace } from '../../src/trace/types.js';
import { startFakeUpstream, type FakeRequest, type FakeUpstream, type Script } from '../fakes/index.js';

/** A fetch that hands the caller its response untouched and keeps a copy of every body's bytes. */
export interface TappedFetch {
  fetch: typeof fetch;
  /** Response bodies in request order, once `settled()` resolved. */
  bodies: Buffer[];
  settled(): Promise<Buffer[]>;
}

export function tapFetch(): TappedFetch {
  const pending: Array<Promise<Buffer>> = [];
  const bodies: Buffer[] = [];
  const tapped = (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const res = await fetch(input, init);
    // The clone tees the stream: the SDK reads its half at its own pace while we collect ours.
    pending.push(res.clone().arrayBuffer().then((b) => Buffer.from(b), () => Buffer.alloc(0)));
    return res;
  }) as typeof fetch;
  return {
    fetch: tapped,
    bodies,
    async settled() {
      bodies.splice(0, bodies.length, ...(await Promise.all(pending)));
      return bodies;
    },
  };
}

/** What a fake served: a script per request, by provider. */
export type ProviderHandlers = Partial<Record<RoutedProvider, (req: FakeRequest & { json: unknown }) => Script>>;

export interface RoundTrip<T> {
  live: T;
  replayed: T;
  /** Traces in the order their calls finished. */
  traces: Trace[];
  /** Bytes each fake wrote, in request order across providers. */
  upstreamBodies: string[];
  liveBodies: Buffer[];
  replayBodies: Buffer[];
  requests: Partial<Record<RoutedProvider, FakeRequest[]>>;
  cassette: string;
}

export interface ClientTarget {
  /** Recorder URL on the live run, replay server URL on the replay run. */
  base: string;
  fetch: typeof fetch;
}

/**
 * Run `client` once live (fake upstreams -> recorder -> cassette) and once from the cassette.
 * @example const rt = await recordThenReplay({ openai: () => openaiChatStream() }, ({ base, fetch }) => ...);
 */
export async function recordThenReplay<T>(handlers: ProviderHandlers, client: (t: ClientTarget) => Promise<T>, opts: { cassette?: string } = {}): Promise<RoundTrip<T>> {
  const upstreamBodies: string[] = [];
  const fakes: Partial<Record<RoutedProvider, FakeUpstream>> = {};
  const overrides: Partial<Record<RoutedProvider, string>> = {};
  for (const [provider, handler] of Object.entries(handlers) as Array<[RoutedProvider, NonNullable<ProviderHandlers[RoutedProvider]>]>) {
    fakes[provider] = await startFakeUpstream((req) => {
      const script = handler(req);
      upstreamBodies.push(script.frames.map((f) => f.bytes).join(''));
      return script;
    });
    overrides[provider] = fakes[provider]!.url;
  }
  const cassette = opts.cassette ?? join(await mkdtemp(join(tmpdir(), 'tf-prov-')), `${randomUUID()}.yaml`);
  const traces: Trace[] = [];
  // Appends go through one chain so the cassette keeps the order the calls finished in.
  let appends = Promise.resolve();
  const rec = await startRecorder({
    route: createProviderRouter({ overrides }).route,
    onTrace: (t) => {
      traces.push(t);
      appends = appends.then(() => appendToCassette(cassette, [t]));
      return appends;
    },
  });
  const liveTap = tapFetch();
  let live: T;
  try {
    live = await client({ base: rec.url, fetch: liveTap.fetch });
    await liveTap.settled();
  } finally {
    await rec.close();
    for (const f of Object.values(fakes)) await f.close();
  }
  const replay = await startReplayServer({ cassette, speed: 0 });
  const replayTap = tapFetch();
  let replayed: T;
  try {
    replayed = await client({ base: replay.url, fetch: replayTap.fetch });
    await replayTap.settled();
    if (replay.misses.length) throw new Error(`replay missed: ${replay.misses.map((m) => m.message).join('\n')}`);
  } finally {
    await replay.close();
  }
  const requests: RoundTrip<T>['requests'] = {};
  for (const [p, f] of Object.entries(fakes)) requests[p as RoutedProvider] = f.requests;
  return { live, replayed, traces, upstreamBodies, liveBodies: liveTap.bodies, replayBodies: replayTap.bodies, requests, cassette };
}

/** The chunk the trace's first_content_latency_ms refers to, found again from the recorded events. */
export function firstContentChunk(t: Trace): { index: number; event?: string; data?: unknown } | undefined {
  const chunks = t.chunks ?? [];
  const rec = reconstruct({ endpoint: t.endpoint, url: t.http.url, request: t.request, requestHeaders: t.http.request_headers, status: t.http.status, stream: true, chunks });
  if (rec.firstContentIndex === null) return undefined;
  const c = chunks[rec.firstContentIndex]!;
  return { index: rec.firstContentIndex, event: c.event, data: c.data };
}
