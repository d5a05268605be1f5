import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createJitter, errorResponse, jitterGaps, jsonResponse, openaiChatJson, openaiChatStream, startFakeUpstream, type FakeUpstream } from './index.js';

let fake: FakeUpstream | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** Raw client: every read as it arrived, and how the response ended. */
function get(url: string, body = '{}'): Promise<{ status: number; headers: Record<string, unknown>; reads: string[]; ended: 'end' | 'aborted' }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const reads: string[] = [];
      let settled = false;
      const done = (ended: 'end' | 'aborted') => {
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, reads, ended });
      };
      res.on('data', (b: Buffer) => reads.push(b.toString('utf8')));
      res.on('end', () => done('end'));
      res.on('aborted', () => done('aborted'));
      res.on('error', () => done('aborted'));
      res.on('close', () => done(res.complete ? 'end' : 'aborted'));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('fake upstream', () => {
  it('writes every frame in order and records the request', async () => {
    const script = openaiChatStream({ text: 'one two three', gaps: 2 });
    fake = await startFakeUpstream(script);
    const started = performance.now();
    const res = await get(`${fake.url}/v1/chat/completions`, '{"model":"m"}');
    const elapsed = performance.now() - started;
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    expect(res.reads.join('')).toBe(script.frames.map((f) => f.bytes).join(''));
    expect(res.ended).toBe('end');
    // A lower bound only: the gaps were waited for (timers never fire much early).
    expect(elapsed).toBeGreaterThanOrEqual(script.frames.length * 2 - 5);
    expect(fake.requests).toEqual([{ method: 'POST', url: '/v1/chat/completions', headers: expect.objectContaining({ 'content-type': 'application/json' }), body: '{"model":"m"}' }]);
  });

  it('drops the connection after N frames', async () => {
    const script = { ...openaiChatStream({ text: 'one two three four five' }), dropAfter: 3 };
    fake = await startFakeUpstream(script);
    const res = await get(`${fake.url}/v1/chat/completions`);
    expect(res.ended).toBe('aborted');
    expect(res.reads.join('')).toBe(script.frames.slice(0, 3).map((f) => f.bytes).join(''));
  });

  it('serves a list of scripts in order: the SDK retries a 429 that carries retry-after', async () => {
    fake = await startFakeUpstream([errorResponse(429, 'Rate limit reached', { 'retry-after': '1', 'retry-after-ms': '10' }), openaiChatJson({ text: 'after retry' })]);
    const client = new OpenAI({ baseURL: `${fake.url}/v1`, apiKey: 'sk-test', maxRetries: 1 });
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.choices[0]!.message.content).toBe('after retry');
    expect(fake.requests).toHaveLength(2);

    const res = await get(`${fake.url}/v1/chat/completions`);
    expect(res.status).toBe(200); // the last script repeats
  });

  it('answers error statuses with their headers and JSON body', async () => {
    fake = await startFakeUpstream(() => errorResponse(429, 'Slow down', { 'retry-after': '7' }));
    const res = await get(`${fake.url}/v1/chat/completions`);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(JSON.parse(res.reads.join(''))).toMatchObject({ error: { message: 'Slow down', type: 'rate_limit_exceeded' } });
  });

  it('lets a handler choose the script from the request', async () => {
    fake = await startFakeUpstream((req) => jsonResponse({ echoed: req.json, path: req.url }));
    const res = await get(`${fake.url}/anything?x=1`, '{"a":1}');
    expect(JSON.parse(res.reads.join(''))).toEqual({ echoed: { a: 1 }, path: '/anything?x=1' });
  });
});

describe('jitter', () => {
  it('is deterministic per seed and differs across seeds', () => {
    expect(jitterGaps(42, 50)).toEqual(jitterGaps(42, 50));
    expect(jitterGaps(42, 50)).not.toEqual(jitterGaps(43, 50));
  });

  it('mixes bursts under 2 ms, 5-30 ms token gaps and 60-300 ms stalls, and nothing else', () => {
    const gaps = jitterGaps(7, 2000);
    const burst = gaps.filter((g) => g >= 0 && g < 2).length;
    const token = gaps.filter((g) => g >= 5 && g <= 30).length;
    const stall = gaps.filter((g) => g >= 60 && g <= 300).length;
    expect(burst + token + stall).toBe(gaps.length);
    expect(burst).toBeGreaterThan(400);
    expect(token).toBeGreaterThan(1000);
    expect(stall).toBeGreaterThan(20);
    const next = createJitter(7, { burst: 1, stall: 0 });
    expect(Array.from({ length: 100 }, (_, i) => next(i)).every((g) => g < 2)).toBe(true);
  });
});
