import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startRecorder, type Recorder } from '../../src/record/recorder.js';
import { startReplayServer } from '../../src/replay/replay-server.js';
import type { Trace } from '../../src/trace/types.js';
import { errorResponse, openaiChatStream, startFakeUpstream, type FakeUpstream } from '../fakes/index.js';

/** Everything the upstream did, including failing, is recorded and played back as it happened. */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function recordWith(handler: Parameters<typeof startFakeUpstream>[0]) {
  const upstream = await startFakeUpstream(handler);
  const traces: Trace[] = [];
  const rec = await startRecorder({ upstream: upstream.url, onTrace: (t) => void traces.push(t) });
  cleanups.push(() => upstream.close(), () => rec.close());
  return { upstream, rec, traces };
}

async function waitFor<T>(f: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function rawPost(url: string, body: string): Promise<{ status: number; body: string; dropped: boolean; headers: Record<string, unknown> }> {
  return new Promise((resolve) => {
    const u = new URL(url);
    let text = '';
    let status = 0;
    let headers: Record<string, unknown> = {};
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      status = res.statusCode!;
      headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text, dropped: false, headers: res.headers }));
      res.on('error', () => resolve({ status: res.statusCode!, body: text, dropped: true, headers: res.headers }));
      res.on('aborted', () => resolve({ status: res.statusCode!, body: text, dropped: true, headers: res.headers }));
    });
    req.on('error', () => resolve({ status, body: text, dropped: true, headers }));
    req.end(body);
  });
}

const CHAT = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] });

describe('failures are recorded and replayed faithfully', () => {
  it('a 429 with retry-after is kept verbatim, headers included', async () => {
    const { rec, traces } = await recordWith(errorResponse(429, 'Rate limit reached', { 'retry-after': '7' }));
    const live = await rawPost(`${rec.url}/v1/chat/completions`, CHAT);
    const t = await waitFor(() => traces[0], 'trace');
    expect(live.status).toBe(429);
    expect(t.http.status).toBe(429);
    expect(t.metadata.status).toBe('error');
    expect(t.http.response_headers).toContainEqual(['retry-after', '7']);
    const replay = await startReplayServer({ cassette: [t], speed: 0 });
    cleanups.push(() => replay.close());
    const again = await rawPost(`${replay.url}/v1/chat/completions`, CHAT);
    expect(again.status).toBe(429);
    expect(again.headers['retry-after']).toBe('7');
    expect(again.body).toBe(live.body);
    // The SDK sees the same error in replay as it did live.
    const client = new OpenAI({ baseURL: `${replay.url}/v1`, apiKey: 'x', maxRetries: 0 });
    await expect(client.chat.completions.create(JSON.parse(CHAT))).rejects.toMatchObject({ status: 429 });
  });

  it('an upstream drop mid-stream reaches the client, is saved as a partial error trace, and replays as the same drop', async () => {
    const { rec, traces } = await recordWith(openaiChatStream({ text: ['one', ' two', ' three', ' four', ' five'], gaps: 2, dropAfter: 3 }));
    const live = await rawPost(`${rec.url}/v1/chat/completions`, CHAT);
    expect(live.dropped).toBe(true);
    const t = await waitFor(() => traces[0], 'trace');
    expect(t.http.outcome).toBe('upstream_aborted');
    expect(t.metadata.status).toBe('error');
    expect(t.total_chunks).toBe(3);
    expect(t.chunks!.map((c) => c.raw).join('')).toBe(live.body);
    const replay = await startReplayServer({ cassette: [t], speed: 0 });
    cleanups.push(() => replay.close());
    const again = await rawPost(`${replay.url}/v1/chat/completions`, CHAT);
    expect(again.dropped).toBe(true);
    expect(again.body).toBe(live.body);
  });

  it('a client abort aborts the upstream request and still saves the partial trace', async () => {
    const { rec, traces, upstream } = await recordWith(openaiChatStream({ text: Array.from({ length: 40 }, (_, i) => ` t${i}`), gaps: 25 }));
    const client = new OpenAI({ baseURL: `${rec.url}/v1`, apiKey: 'sk-test-abortabortabortabort', maxRetries: 0 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ ...(JSON.parse(CHAT) as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming), stream: true }, { signal: controller.signal });
    let seen = 0;
    try {
      for await (const _ of stream) {
        if (++seen === 3) controller.abort();
        if (seen > 3) break;
      }
    } catch {
      // The SDK may surface the abort as an error or just end the iteration; both are fine here.
    }
    const t = await waitFor(() => traces[0], 'trace');
    expect(t.http.outcome).toBe('client_aborted');
    expect(t.metadata.status).toBe('error');
    expect(t.total_chunks!).toBeGreaterThanOrEqual(3);
    expect(t.total_chunks!).toBeLessThan(42);
    expect(upstream.requests).toHaveLength(1);
  });

  it('an unreachable upstream gets a 502 JSON error that names it, and a trace', async () => {
    const dead = await startFakeUpstream(errorResponse(500, 'x'));
    const deadUrl = dead.url;
    await dead.close();
    const traces: Trace[] = [];
    const rec: Recorder = await startRecorder({ upstream: deadUrl, onTrace: (t) => void traces.push(t) });
    cleanups.push(() => rec.close());
    const live = await rawPost(`${rec.url}/v1/chat/completions`, CHAT);
    expect(live.status).toBe(502);
    const body = JSON.parse(live.body) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('traceforge_upstream_unreachable');
    expect(body.error.message).toContain(deadUrl.replace(/\/$/, ''));
    const t = await waitFor(() => traces[0], 'trace');
    expect(t.http.outcome).toBe('upstream_unreachable');
    expect(t.http.status).toBe(502);
    // The recorder stays up for the next call.
    const second = await rawPost(`${rec.url}/v1/chat/completions`, CHAT);
    expect(second.status).toBe(502);
  });
});

describe('the recorder binds loopback only', () => {
  it('listens on 127.0.0.1 by default', async () => {
    const up: FakeUpstream = await startFakeUpstream(errorResponse(500, 'x'));
    const rec = await startRecorder({ upstream: up.url });
    cleanups.push(() => up.close(), () => rec.close());
    expect(rec.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('reports a busy port with a fix', async () => {
    const up = await startFakeUpstream(errorResponse(500, 'x'));
    const a = await startRecorder({ upstream: up.url });
    cleanups.push(() => up.close(), () => a.close());
    await expect(startRecorder({ upstream: up.url, port: a.port })).rejects.toThrow(/already in use: pass --port 0/);
  });
});
