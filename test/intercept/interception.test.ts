/**
 * In-process interception with real sockets: the global fetch (undici's global dispatcher) and
 * node:https (axios) calls to https://api.openai.com are served by the cassette's replay server,
 * chunk by chunk at the recorded times; other hosts pass or fail as configured; everything is put
 * back on close.
 */
import http from 'node:http';
import https from 'node:https';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import { getGlobalDispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCassette } from '../../src/session.js';
import { loadCassette } from '../../src/store/cassette-file.js';
import { openaiChatStream, splitTokens, startFakeUpstream, type FakeUpstream } from '../fakes/index.js';

const GAP = 40;
const body = (content: string) => JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content }] });
const json = { 'content-type': 'application/json' };

/** When each SSE event was complete on the client (ms from the first), and the text: reads that carry two events stamp both. */
async function timedEvents(chunks: AsyncIterable<Uint8Array | Buffer>): Promise<{ at: number[]; text: string }> {
  const at: number[] = [];
  let text = '';
  let first: number | undefined;
  for await (const c of chunks) {
    const now = performance.now();
    first ??= now;
    const before = text.split('\n\n').length;
    text += Buffer.from(c).toString('utf8');
    for (let n = text.split('\n\n').length - before; n > 0; n--) at.push(now - first);
  }
  return { at, text };
}

/**
 * Spaced as recorded, on the wall clock of a machine that may be busy (load 8 and more delays single
 * events by ~100 ms): the events arrive over at least half the recorded span, and none further from its
 * recorded offset than this. Sent all at once, the span would be ~0 and the last event hundreds of ms
 * early. Exact timing is measured in the bench and asserted on the virtual clock (test/virtual).
 */
const TOLERANCE_MS = 250;
function expectSpacedAsRecorded(at: number[], recorded: number[]): void {
  const span = (xs: number[]) => xs[xs.length - 1]! - xs[0]!;
  expect(span(at)).toBeGreaterThan(span(recorded) / 2);
  expect(Math.max(...spacingErrors(at, recorded))).toBeLessThan(TOLERANCE_MS);
}

/**
 * How far each event is from its recorded offset, once the whole series is shifted by its median: the
 * first event's stamp can be late by the client's own start-up (axios sets up its stream after the
 * headers), which says nothing about the spacing the server kept.
 */
function spacingErrors(at: number[], recorded: number[]): number[] {
  const d = at.map((a, i) => a - recorded[i]!);
  const median = [...d].sort((x, y) => x - y)[Math.floor(d.length / 2)]!;
  return d.map((x) => Math.abs(x - median));
}

describe('interception', () => {
  let dir: string;
  let fake: FakeUpstream;
  let cassette: string;
  let recordedOffsets: number[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tf-intercept-'));
    fake = await startFakeUpstream((req) => {
      const q = (req.json as { messages: Array<{ content: string }> }).messages[0]!.content;
      return openaiChatStream({ text: splitTokens(`one two three four five six ${q}`), gaps: GAP });
    });
    cassette = join(dir, 'chat.yaml');
    // Recorded through the interception itself: the app addressed api.openai.com, the upstream is the fake.
    const s = await openCassette(cassette, { mode: 'once', upstream: fake.url, intercept: true, env: {} });
    const res = await fetch('https://api.openai.com/v1/chat/completions', { method: 'POST', headers: json, body: body('hi') });
    expect(res.status).toBe(200);
    await res.text();
    await s.close();
    const t = (await loadCassette(cassette)).interactions[0]!;
    let sum = 0;
    recordedOffsets = t.chunks!.map((c, i) => (i === 0 ? 0 : (sum += c.delta_ms)));
  });
  afterAll(() => fake.close());

  it('serves the global fetch chunk by chunk at the recorded times', async () => {
    const s = await openCassette(cassette, { mode: 'none', intercept: true, env: { CI: 'true' } });
    try {
      const res = await fetch('https://api.openai.com/v1/chat/completions', { method: 'POST', headers: json, body: body('hi') });
      const { at, text } = await timedEvents(res.body as unknown as AsyncIterable<Uint8Array>);
      expect(text).toContain('"content":" hi"');
      expect(at.length).toBe(recordedOffsets.length);
      const last = recordedOffsets[recordedOffsets.length - 1]!;
      expect(last).toBeGreaterThan(GAP * (recordedOffsets.length - 2));
      // All at once would put the last read ~0 ms after the first; here each is where it was recorded.
      expectSpacedAsRecorded(at, recordedOffsets);
    } finally {
      await s.close();
    }
  });

  it('serves node:https (axios) chunk by chunk at the recorded times, with no TLS to anyone', async () => {
    const s = await openCassette(cassette, { mode: 'none', intercept: true, env: { CI: 'true' } });
    try {
      const res = await axios.post('https://api.openai.com/v1/chat/completions', body('hi'), { headers: json, responseType: 'stream' });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toContain('text/event-stream');
      const { at, text } = await timedEvents(res.data as AsyncIterable<Buffer>);
      expect(text).toContain('data: [DONE]');
      expect(at.length).toBe(recordedOffsets.length);
      expectSpacedAsRecorded(at, recordedOffsets);
    } finally {
      await s.close();
    }
  });

  it('a request the cassette does not hold gets the miss explanation through the interception', async () => {
    const s = await openCassette(cassette, { mode: 'none', intercept: true, env: { CI: 'true' } });
    try {
      const res = await fetch('https://api.openai.com/v1/chat/completions', { method: 'POST', headers: json, body: body('other') });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain('recorded "hi", received "other"');
      const ax = await axios.post('https://api.openai.com/v1/chat/completions', body('other'), { headers: json, validateStatus: () => true });
      expect(ax.status).toBe(404);
      expect(s.misses).toHaveLength(2);
    } finally {
      await s.close();
    }
  });

  it('under CI, a call to a host it does not serve fails naming the host and how to allow it; loopback passes', async () => {
    const s = await openCassette(cassette, { mode: 'none', intercept: true, env: { CI: 'true' } });
    try {
      const err = await fetch('https://unlisted.example.com/v1/x').then(() => undefined, (e: Error) => e);
      expect(String((err?.cause as Error | undefined)?.message)).toMatch(/unlisted\.example\.com is not one of the hosts served from the cassette.*hosts: \['unlisted\.example\.com'\].*unmatched: 'pass'/);
      const axErr = await axios.get('https://other.example.com/x').then(() => undefined, (e: Error) => e);
      expect(axErr?.message).toContain('other.example.com is not one of the hosts');
      expect(s.blocked).toHaveLength(2);
      // The test's own servers on loopback are not the network.
      const local = await fetch(`${fake.url}/v1/chat/completions`, { method: 'POST', headers: json, body: body('direct') });
      expect(await local.text()).toContain('direct');
    } finally {
      await s.close();
    }
  });

  it('outside CI, other hosts pass through untouched (unmatched: "pass")', async () => {
    const s = await openCassette(cassette, { mode: 'none', intercept: true, env: {} });
    try {
      // .invalid never resolves: the error is the resolver's, not ours.
      const err = await fetch('http://nothing-here.invalid/').then(() => undefined, (e: Error) => e);
      expect(String((err?.cause as { code?: string } | undefined)?.code)).toMatch(/ENOTFOUND|EAI_AGAIN/);
      expect(s.blocked).toHaveLength(0);
    } finally {
      await s.close();
    }
  });

  it('records without an upstream to the host the app addressed (a listed host), and that header goes nowhere', async () => {
    const path = join(dir, 'listed.yaml');
    const host = new URL(fake.url).host;
    const before = fake.requests.length;
    const s = await openCassette(path, { mode: 'once', intercept: { hosts: [host] }, env: {} });
    try {
      const res = await axios.post(`${fake.url}/v1/chat/completions`, body('listed'), { headers: json });
      expect(String(res.data)).toContain('listed');
    } finally {
      await s.close();
    }
    expect(fake.requests.length).toBe(before + 1);
    expect(fake.requests[before]!.headers['x-traceforge-origin']).toBeUndefined();
    const c = await loadCassette(path);
    expect(c.interactions).toHaveLength(1);
    expect(JSON.stringify(c.interactions[0]!.http.request_headers ?? {})).not.toContain('x-traceforge-origin');
    // And replays from it with the fake's host served from the cassette, not the fake.
    const r = await openCassette(path, { mode: 'none', intercept: { hosts: [host] }, env: { CI: 'true' }, speed: 0 });
    try {
      const res = await fetch(`${fake.url}/v1/chat/completions`, { method: 'POST', headers: json, body: body('listed') });
      expect(await res.text()).toContain('listed');
      expect(fake.requests.length).toBe(before + 1);
    } finally {
      await r.close();
    }
  });

  it('puts the previous dispatcher and node:http back on close, and intercept off installs nothing', async () => {
    const dispatcher = getGlobalDispatcher();
    const request = http.request;
    const httpsRequest = https.request;
    const outer = await openCassette(cassette, { mode: 'none', intercept: true, env: {} });
    expect(getGlobalDispatcher()).not.toBe(dispatcher);
    expect(http.request).not.toBe(request);
    // A second session stacks: it serves while open, the first serves again after it closes.
    const inner = await openCassette(join(dir, 'listed.yaml'), { mode: 'none', intercept: true, env: {}, speed: 0 });
    const miss = await fetch('https://api.openai.com/v1/chat/completions', { method: 'POST', headers: json, body: body('hi') });
    expect(miss.status).toBe(404);
    expect(inner.misses).toHaveLength(1);
    await inner.close();
    const hit = await fetch('https://api.openai.com/v1/chat/completions', { method: 'POST', headers: json, body: body('hi') });
    expect(hit.status).toBe(200);
    await hit.text();
    await outer.close();
    expect(getGlobalDispatcher()).toBe(dispatcher);
    expect(http.request).toBe(request);
    expect(https.request).toBe(httpsRequest);
    const off = await openCassette(cassette, { mode: 'none', env: {} });
    expect(getGlobalDispatcher()).toBe(dispatcher);
    await off.close();
  });
});
