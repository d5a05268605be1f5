import { request } from 'node:http';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { TraceForgeError } from '../../src/errors.js';
import { applyFaults, formatFault, parseFault, truncateJson, type Fault } from '../../src/replay/faults.js';
import { planPlayback } from '../../src/replay/plan.js';
import { startReplayServer, type ReplayServer } from '../../src/replay/replay-server.js';
import { makeAnthropicStreamTrace, makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';

const servers: ReplayServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The connection closed before the body was complete. */
  dropped: boolean;
  /** ms from sending the request to each read. */
  reads: Array<{ at: number; text: string }>;
}

function post(url: string, body: unknown): Promise<Answer> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const reads: Answer['reads'] = [];
    let status = 0;
    let headers: Answer['headers'] = {};
    const sent = performance.now();
    const done = (dropped: boolean) => resolve({ status, headers, body: reads.map((r) => r.text).join(''), dropped, reads });
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      status = res.statusCode!;
      headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (c: string) => reads.push({ at: performance.now() - sent, text: c }));
      res.on('end', () => done(false));
      res.on('aborted', () => done(true));
      res.on('error', () => done(true));
    });
    req.on('error', () => done(true));
    req.end(JSON.stringify(body));
  });
}

const chatTrace = () => makeOpenAIStreamTrace({ text: 'one two three four five six', gaps: Array(12).fill(1), firstChunkLatencyMs: 2 });
const CHAT = { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Hello' }] };
const requestOf = (t: ReturnType<typeof chatTrace>) => t.request;

async function serve(trace: ReturnType<typeof chatTrace>, faults: string[], speed = 0) {
  const server = await startReplayServer({ cassette: [trace], speed, faults });
  servers.push(server);
  return server;
}

describe('parseFault', () => {
  it('reads every documented form', () => {
    expect(parseFault('drop-after=3')).toEqual({ kind: 'drop-after', chunk: 3 });
    expect(parseFault('drop-after=0')).toEqual({ kind: 'drop-after', chunk: 0 });
    expect(parseFault('stall=5:2000')).toEqual({ kind: 'stall', chunk: 5, ms: 2000 });
    expect(parseFault('status=503')).toEqual({ kind: 'status', status: 503 });
    expect(parseFault('status=429:7')).toEqual({ kind: 'status', status: 429, retryAfter: '7' });
    expect(parseFault('error-event=4')).toEqual({ kind: 'error-event', after: 4 });
    expect(parseFault('truncate-json=2')).toEqual({ kind: 'truncate-json', chunk: 2 });
    expect(parseFault('status=429:1@1')).toEqual({ kind: 'status', status: 429, retryAfter: '1', request: 1 });
  });

  it.each([
    ['drop-after', /N must be an integer/],
    ['drop-after=-1', /N must be an integer from 0/],
    ['drop-after=1.5', /N must be an integer/],
    ['stall=3', /stall=K:MS/],
    ['stall=0:100', /K must be an integer from 1/],
    ['status=200', /CODE must be an integer from 400 to 599/],
    ['status=429:soon', /retry-after must be whole seconds/],
    ['truncate-json=0', /from 1/],
    ['explode=1', /unknown fault "explode=1"/],
    ['drop-after=2@0', /request number after @/],
  ])('refuses %s with a usage error that says how to write it', (spec, message) => {
    let error: unknown;
    try {
      parseFault(spec);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TraceForgeError);
    expect((error as TraceForgeError).code).toBe('E_USAGE');
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/drop-after=N, stall=K:MS/);
  });

  it('formatFault and parseFault are inverses', () => {
    const n = fc.integer({ min: 1, max: 10_000 });
    const request = fc.option(n, { nil: undefined });
    const fault: fc.Arbitrary<Fault> = fc.oneof(
      fc.record({ kind: fc.constant('drop-after' as const), chunk: fc.nat(10_000), request }),
      fc.record({ kind: fc.constant('stall' as const), chunk: n, ms: fc.nat(100_000), request }),
      fc.record({ kind: fc.constant('status' as const), status: fc.integer({ min: 400, max: 599 }), retryAfter: fc.option(fc.nat(3600).map(String), { nil: undefined }), request }),
      fc.record({ kind: fc.constant('error-event' as const), after: fc.nat(10_000), request }),
      fc.record({ kind: fc.constant('truncate-json' as const), chunk: n, request }),
    );
    fc.assert(
      fc.property(fault, (f) => {
        const clean = JSON.parse(JSON.stringify(f)) as Fault;
        expect(parseFault(formatFault(clean))).toEqual(clean);
      }),
    );
  });
});

describe('applyFaults on a plan', () => {
  it('truncate-json keeps the SSE terminator and the first half of the JSON', () => {
    const out = Buffer.from(truncateJson(new TextEncoder().encode('data: {"a":"bcdefgh"}\n\n'), 'sse')).toString();
    expect(out).toBe('data: {"a":"b\n\n');
    expect(() => JSON.parse(out.slice(6))).toThrow();
    expect(Buffer.from(truncateJson(new TextEncoder().encode('{"done":true}\r\n'), 'ndjson')).toString()).toBe('{"done\r\n');
    expect(Buffer.from(truncateJson(new TextEncoder().encode('{"x":1234}'), 'raw')).toString()).toBe('{"x":');
  });

  it('stall delays the chunk and everything after it by wall-clock ms, not the ones before', () => {
    const t = chatTrace();
    const plan = applyFaults(planPlayback(t), t, [parseFault('stall=3:500')]);
    expect(plan.pieces.map((p) => p.extraMs ?? 0)).toEqual(plan.pieces.map((_, i) => (i >= 2 ? 500 : 0)));
    expect(plan.pieces.map((p) => p.at)).toEqual(planPlayback(t).pieces.map((p) => p.at));
  });

  it('the earlier of error-event and drop-after wins; at the same chunk the event is sent, then the connection drops', () => {
    const t = chatTrace();
    const n = planPlayback(t).pieces.length;
    const a = applyFaults(planPlayback(t), t, [parseFault('error-event=2'), parseFault('drop-after=4')]);
    expect(a.pieces).toHaveLength(3);
    expect(a.drop).toBe(false);
    const b = applyFaults(planPlayback(t), t, [parseFault('error-event=4'), parseFault('drop-after=2')]);
    expect(b.pieces).toHaveLength(2);
    expect(b.drop).toBe(true);
    const c = applyFaults(planPlayback(t), t, [parseFault('error-event=3'), parseFault('drop-after=3')]);
    expect(c.pieces).toHaveLength(4);
    expect(c.drop).toBe(true);
    // A chunk the recording does not have: nothing happens.
    expect(applyFaults(planPlayback(t), t, [parseFault(`drop-after=${n + 5}`)]).pieces).toHaveLength(n);
  });

  it('a changed body loses a content-length that no longer describes it', () => {
    const t = makeNonStreamTrace();
    t.http.response_headers.push(['content-length', String(t.http.body!.reduce((s, b) => s + Buffer.byteLength(b.raw), 0))]);
    expect(planPlayback(t).headers.map((h) => h.toLowerCase())).toContain('content-length');
    const plan = applyFaults(planPlayback(t), t, [parseFault('truncate-json=1')]);
    expect(plan.headers.map((h) => h.toLowerCase())).not.toContain('content-length');
  });
});

describe('faults on the replay server', () => {
  it('drop-after=N sends exactly N chunks, byte-identical, then cuts the connection', async () => {
    const t = chatTrace();
    const server = await serve(t, ['drop-after=3']);
    const got = await post(`${server.url}/v1/chat/completions`, requestOf(t));
    expect(got.status).toBe(200);
    expect(got.dropped).toBe(true);
    expect(got.body).toBe(t.chunks!.slice(0, 3).map((c) => c.raw).join(''));
  });

  it('drop-after=0 drops right after the headers', async () => {
    const t = chatTrace();
    const server = await serve(t, ['drop-after=0']);
    const got = await post(`${server.url}/v1/chat/completions`, requestOf(t));
    expect(got.dropped).toBe(true);
    expect(got.body).toBe('');
  });

  it('stall=K:MS holds chunk K back by MS even at speed 0, and nothing before it', async () => {
    const t = chatTrace();
    const server = await serve(t, ['stall=4:300']);
    const got = await post(`${server.url}/v1/chat/completions`, requestOf(t));
    expect(got.body).toBe(t.chunks!.map((c) => c.raw).join(''));
    const before = got.reads.filter((r) => t.chunks!.slice(0, 3).some((c) => r.text.includes(c.raw)));
    const fourth = got.reads.find((r) => r.text.includes(t.chunks![3]!.raw))!;
    expect(before.length).toBeGreaterThan(0);
    // A lower bound only, from when the request was sent: the server cannot send early, however slow the
    // machine is (the gap between two reads can shrink when the client reads the first one late).
    expect(fourth.at).toBeGreaterThanOrEqual(295);
  });

  it('status=CODE:RETRY_AFTER answers before any byte with the provider-shaped error and retry-after', async () => {
    const t = chatTrace();
    const server = await serve(t, ['status=429:7']);
    const got = await post(`${server.url}/v1/chat/completions`, requestOf(t));
    expect(got.status).toBe(429);
    expect(got.headers['retry-after']).toBe('7');
    expect(JSON.parse(got.body)).toMatchObject({ error: { type: 'rate_limit_error' } });
    const a = makeAnthropicStreamTrace();
    const s2 = await serve(a, ['status=529']);
    const got2 = await post(`${s2.url}${a.http.url}`, a.request);
    expect(got2.status).toBe(529);
    expect(JSON.parse(got2.body)).toEqual({ type: 'error', error: { type: 'overloaded_error', message: expect.any(String) } });
  });

  it('a status fault with @1 hits only the first request; the retry gets the recording, which was not used up', async () => {
    const t = chatTrace();
    const server = await startReplayServer({ cassette: [t], speed: 0, faults: ['status=503@1'], match: { repeat: 'none' } });
    servers.push(server);
    const first = await post(`${server.url}/v1/chat/completions`, requestOf(t));
    const second = await post(`${server.url}/v1/chat/completions`, requestOf(t));
    expect(first.status).toBe(503);
    expect(second.status).toBe(200);
    expect(second.body).toBe(t.chunks!.map((c) => c.raw).join(''));
  });

  it('a status fault does not hide a request that matches nothing', async () => {
    const t = chatTrace();
    const server = await serve(t, ['status=500']);
    const got = await post(`${server.url}/v1/chat/completions`, { ...CHAT, messages: [{ role: 'user', content: 'something else' }] });
    expect(got.status).toBe(404);
    expect(server.misses).toHaveLength(1);
  });

  it('error-event=N sends N chunks, then the provider error event, then ends the body', async () => {
    const t = chatTrace();
    const server = await serve(t, ['error-event=2']);
    const got = await post(`${server.url}/v1/chat/completions`, requestOf(t));
    expect(got.dropped).toBe(false);
    const head = t.chunks!.slice(0, 2).map((c) => c.raw).join('');
    expect(got.body.startsWith(head)).toBe(true);
    const event = got.body.slice(head.length);
    expect(event).toMatch(/^data: \{"error":\{.*"type":"server_error".*\}\}\n\n$/);
    const a = makeAnthropicStreamTrace();
    const s2 = await serve(a, ['error-event=3']);
    const got2 = await post(`${s2.url}${a.http.url}`, a.request);
    const ev = got2.body.slice(a.chunks!.slice(0, 3).map((c) => c.raw).join('').length);
    expect(ev).toBe('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n');
  });

  it('truncate-json=N cuts only chunk N; faults combine', async () => {
    const t = chatTrace();
    const server = await serve(t, ['truncate-json=2', 'drop-after=3']);
    const got = await post(`${server.url}/v1/chat/completions`, requestOf(t));
    const [c1, c2, c3] = t.chunks!.map((c) => c.raw);
    expect(got.dropped).toBe(true);
    expect(got.body.startsWith(c1!)).toBe(true);
    expect(got.body.endsWith(c3!)).toBe(true);
    const cut = got.body.slice(c1!.length, got.body.length - c3!.length);
    expect(cut.length).toBeLessThan(c2!.length);
    expect(cut.endsWith('\n\n')).toBe(true);
    expect(c2!.startsWith(cut.slice(0, -2))).toBe(true);
  });

  it('the same faults give the same bytes every time', async () => {
    const t = chatTrace();
    const server = await serve(t, ['truncate-json=1', 'error-event=3']);
    const runs = await Promise.all(Array.from({ length: 5 }, () => post(`${server.url}/v1/chat/completions`, requestOf(t))));
    expect(new Set(runs.map((r) => r.body)).size).toBe(1);
  });
});
