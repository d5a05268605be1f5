import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecorder, type Recorder } from '../../src/record/recorder.js';
import type { Trace } from '../../src/trace/types.js';
import { openaiChatStream, startFakeUpstream, type FakeUpstream } from '../fakes/index.js';

// The fake upstream answers `connection: keep-alive`, as the providers' servers do. That header is about
// the upstream's connection to the recorder; the app's own connection follows what the app asked for.
describe("the app's connection follows the app's request, not the upstream's connection header", () => {
  let upstream: FakeUpstream;
  let rec: Recorder;
  const traces: Trace[] = [];

  beforeAll(async () => {
    upstream = await startFakeUpstream(openaiChatStream({ text: 'hello there' }));
    rec = await startRecorder({ upstream: upstream.url, onTrace: (t) => void traces.push(t) });
  });
  afterAll(async () => {
    await rec.close();
    await upstream.close();
  });

  it('an app that sends `connection: close` sees the connection closed when the body ends', async () => {
    const body = '{"model":"m","stream":true,"messages":[]}';
    const started = performance.now();
    const { text, closedAfterMs } = await new Promise<{ text: string; closedAfterMs: number }>((resolve, reject) => {
      const s = connect(rec.port, '127.0.0.1');
      let text = '';
      s.setEncoding('latin1');
      s.on('data', (d: string) => (text += d));
      s.on('error', reject);
      s.on('close', () => resolve({ text, closedAfterMs: performance.now() - started }));
      s.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
    });
    expect(text).toContain('data: [DONE]');
    expect(text.toLowerCase()).not.toContain('connection: keep-alive');
    // Before: the upstream's keep-alive header was forwarded and the socket stayed open until Node's
    // 5 s keep-alive timeout. The stream itself takes a few ms.
    expect(closedAfterMs).toBeLessThan(2500);
    await rec.flush();
    const trace = traces.at(-1)!;
    // The trace keeps the upstream's headers as they came.
    expect(trace.http.response_headers.some(([k, v]) => k.toLowerCase() === 'connection' && v === 'keep-alive')).toBe(true);
  });

  it('an app that keeps its connection alive still makes its calls over one connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const call = () =>
      new Promise<string>((resolve, reject) => {
        const req = request(`${rec.url}/v1/chat/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve(text));
        });
        req.on('socket', (s) => sockets.add(s));
        req.on('error', reject);
        req.end('{"model":"m","stream":true,"messages":[]}');
      });
    try {
      expect(await call()).toContain('data: [DONE]');
      expect(await call()).toContain('data: [DONE]');
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
    }
  });
});
