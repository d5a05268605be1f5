/**
 * Issue 21 item 8: the recorder releases the end of a response (the message end, and the last body
 * byte of a response with a length) only once onTrace has settled for its call, so an app that has a
 * whole response knows the call is recorded. Everything before the end still reaches the app as it
 * arrives, and the recorded times do not include the wait.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRecorder, type Recorder } from '../../src/record/recorder.js';
import type { Trace } from '../../src/trace/types.js';
import { openaiChatJson, openaiChatStream, startFakeUpstream, type FakeUpstream } from '../fakes/index.js';

interface Seen {
  body: Buffer;
  ended: boolean;
  done: Promise<Buffer>;
}

function post(url: string, path: string): Seen {
  const seen: Seen = { body: Buffer.alloc(0), ended: false, done: undefined as never };
  seen.done = new Promise((resolve, reject) => {
    const u = new URL(path, url);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.on('data', (d: Buffer) => (seen.body = Buffer.concat([seen.body, d])));
      res.on('end', () => {
        seen.ended = true;
        resolve(seen.body);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}');
  });
  return seen;
}

const until = async (ok: () => boolean, ms = 10_000): Promise<void> => {
  const end = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

let upstream: FakeUpstream;
let recorder: Recorder;
let open: (() => void) | undefined;
let gate: Promise<void> = Promise.resolve();
const traces: Trace[] = [];
const STREAM = openaiChatStream({ text: 'one two three four five', gaps: 2 });
const JSON_BODY = openaiChatJson({ text: 'a whole answer' });

beforeAll(async () => {
  upstream = await startFakeUpstream((req) => (req.url.includes('json') ? JSON_BODY : STREAM));
  recorder = await startRecorder({
    upstream: upstream.url,
    onTrace: async (t) => {
      traces.push(t);
      await gate;
    },
  });
});
afterAll(async () => {
  open?.();
  await recorder.close();
  await upstream.close();
});

const hold = (): void => {
  gate = new Promise((r) => (open = r));
};

it('a stream: every event reaches the app as it arrives, the end only once onTrace has settled; the trace has no wait in it', async () => {
  hold();
  const seen = post(recorder.url, '/v1/chat/completions');
  const expected = STREAM.frames.map((f) => f.bytes).join('');
  await until(() => seen.body.toString() === expected && traces.length === 1);
  const heldFrom = performance.now();
  await new Promise((r) => setTimeout(r, 300));
  expect(seen.ended).toBe(false);
  open!();
  expect((await seen.done).toString()).toBe(expected);
  const held = performance.now() - heldFrom;
  expect(held).toBeGreaterThanOrEqual(300);
  // The recording ended when the upstream's body did, not when the app got the end.
  expect(traces[0]!.metadata.duration_ms).toBeLessThan(held);
});

it('a body with a length: all of it but the last byte arrives, the last byte once onTrace has settled', async () => {
  traces.length = 0;
  hold();
  const seen = post(recorder.url, '/v1/chat/completions/json');
  const expected = JSON_BODY.frames[0]!.bytes;
  await until(() => seen.body.length === Buffer.byteLength(expected) - 1 && traces.length === 1);
  await new Promise((r) => setTimeout(r, 100));
  expect(seen.ended).toBe(false);
  expect(seen.body.length).toBe(Buffer.byteLength(expected) - 1);
  open!();
  expect((await seen.done).toString()).toBe(expected);
});
