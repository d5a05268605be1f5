/**
 * Issue 21 item 11: the recorder caps request bodies like the replay server (32 MiB by default): a
 * bigger body gets a 413 that says how to raise the cap, is not forwarded, is not recorded, and is
 * never held in memory whole.
 */
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isTraceForgeError } from '../../src/errors.js';
import { startRecorder, type Recorder } from '../../src/record/recorder.js';
import { DEFAULT_MAX_REQUEST_BYTES, maxRequestBytes } from '../../src/record/request-bounds.js';
import type { Trace } from '../../src/trace/types.js';
import { openaiChatJson, startFakeUpstream, type FakeUpstream } from '../fakes/index.js';

const LIMIT = 1000;
let upstream: FakeUpstream;
let recorder: Recorder;
const traces: Trace[] = [];

beforeAll(async () => {
  upstream = await startFakeUpstream(openaiChatJson());
  recorder = await startRecorder({ upstream: upstream.url, maxRequestBytes: LIMIT, onTrace: (t) => void traces.push(t) });
});
afterAll(async () => {
  await recorder.close();
  await upstream.close();
});

/** POST `size` bytes of JSON, with a content-length or (chunked) in pieces without one. */
function post(size: number, chunked: boolean): Promise<{ status: number; body: string }> {
  const text = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(size - 60) }] }).padEnd(size, ' ');
  return new Promise((resolve, reject) => {
    const u = new URL('/v1/chat/completions', recorder.url);
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', ...(chunked ? {} : { 'content-length': Buffer.byteLength(text) }) } },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    if (chunked) for (let i = 0; i < text.length; i += 300) req.write(text.slice(i, i + 300));
    req.end(chunked ? undefined : text);
  });
}

it.each([
  ['with a content-length', false],
  ['chunked', true],
])('a body over the cap (%s) gets a 413 that says how to raise it; nothing is forwarded or recorded', async (_, chunked) => {
  const before = upstream.requests.length;
  const r = await post(LIMIT * 5, chunked);
  expect(r.status).toBe(413);
  const error = (JSON.parse(r.body) as { error: { type: string; message: string; limit: number } }).error;
  expect(error.type).toBe('traceforge_request_too_large');
  expect(error.limit).toBe(LIMIT);
  expect(error.message).toContain(`over ${LIMIT} bytes`);
  expect(error.message).toContain('TRACEFORGE_MAX_REQUEST_BYTES=');
  await recorder.flush();
  expect(upstream.requests.length).toBe(before);
  expect(traces.filter((t) => t.http.status === 413)).toEqual([]);
});

it('a body under the cap is forwarded and recorded', async () => {
  const r = await post(LIMIT - 100, true);
  expect(r.status).toBe(200);
  await recorder.flush();
  expect(traces.at(-1)?.http.status).toBe(200);
});

it('the cap is 32 MiB unless TRACEFORGE_MAX_REQUEST_BYTES or maxRequestBytes says otherwise; a bad value is refused at start', async () => {
  expect(DEFAULT_MAX_REQUEST_BYTES).toBe(32 * 1024 * 1024);
  expect(maxRequestBytes(undefined, {})).toBe(DEFAULT_MAX_REQUEST_BYTES);
  expect(maxRequestBytes(undefined, { TRACEFORGE_MAX_REQUEST_BYTES: '2048' })).toBe(2048);
  expect(maxRequestBytes(4096, { TRACEFORGE_MAX_REQUEST_BYTES: '2048' })).toBe(4096);
  for (const bad of ['1e3', '0', '-5', 'lots', '12.5']) {
    expect(() => maxRequestBytes(undefined, { TRACEFORGE_MAX_REQUEST_BYTES: bad })).toThrow(/TRACEFORGE_MAX_REQUEST_BYTES must be a whole number of bytes above 0, got "/);
  }
  const e = await startRecorder({ upstream: upstream.url, maxRequestBytes: 0 }).catch((err: unknown) => err);
  expect(isTraceForgeError(e) && e.code).toBe('E_USAGE');
});

it('any TRACEFORGE_MAX_REQUEST_BYTES is either a positive whole number of bytes or refused with one line naming it', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.nat().map(String), fc.stringMatching(/^[0-9 ]{1,20}$/)), (raw) => {
      let got: number | undefined;
      try {
        got = maxRequestBytes(undefined, { TRACEFORGE_MAX_REQUEST_BYTES: raw });
      } catch (e) {
        expect(isTraceForgeError(e) && e.code).toBe('E_USAGE');
        expect((e as Error).message).not.toContain('\n');
        expect((e as Error).message).toMatch(/^TRACEFORGE_MAX_REQUEST_BYTES must be/);
        return;
      }
      if (raw.trim() === '') expect(got).toBe(DEFAULT_MAX_REQUEST_BYTES);
      else {
        expect(Number.isSafeInteger(got) && got > 0).toBe(true);
        expect(got).toBe(Number(raw.trim()));
      }
    }),
  );
});
