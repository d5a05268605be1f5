/**
 * The openai SDK's ResponsesWS (Responses API over WebSocket; it maps an http: base URL to ws:), pointed at
 * the recorder's own address as `traceforge record` gives it: recorded through the proxy, then replayed to
 * the same client pointed at the cassette's URL.
 */
import { createServer } from 'node:http';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { ResponsesWS } from 'openai/resources/responses/ws';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringifyCassette } from '../../src/cassette/codec.js';
import { startRecorder } from '../../src/record/recorder.js';
import { openCassette } from '../../src/session.js';
import type { Trace } from '../../src/trace/types.js';
import { listenWs } from '../../src/util/ws-listen.js';

const WORK = join(resolve(import.meta.dirname, '../..'), '.tmp', `ws-responses-${process.pid}`);

/** A fake Responses-over-WebSocket server: `response.create` is answered with `echo: <input>` as a Responses event stream. */
async function startResponsesFake() {
  const server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const e = JSON.parse(data.toString()) as { type: string; input?: string };
      if (e.type !== 'response.create') return;
      const id = 'resp_ws1';
      const send = (ev: unknown, after: number) => setTimeout(() => ws.send(JSON.stringify(ev)), after);
      send({ type: 'response.created', sequence_number: 0, response: { id, object: 'response', status: 'in_progress', output: [] } }, 0);
      ['echo:', ` ${e.input}`].forEach((delta, i) => send({ type: 'response.output_text.delta', sequence_number: i + 1, item_id: 'msg_1', output_index: 0, content_index: 0, delta }, 5 * (i + 1)));
      send({ type: 'response.completed', sequence_number: 3, response: { id, object: 'response', status: 'completed', output: [] } }, 20);
    });
  });
  return listenWs(server, wss);
}

/** An app: one response over the socket, its text. */
function ask(baseURL: string, input: string): Promise<{ text: string; error?: string }> {
  const ws = new ResponsesWS(new OpenAI({ apiKey: 'sk-test-responses-ws-0123456789', baseURL, maxRetries: 0 }));
  const out: { text: string; error?: string } = { text: '' };
  return new Promise((done) => {
    const timer = setTimeout(() => ((out.error = 'timed out'), ws.close(), done(out)), 15_000);
    ws.on('error', (e: Error) => (out.error ??= e.message));
    ws.socket.on('open', () => ws.send({ type: 'response.create', model: 'gpt-4.1-mini', input } as never));
    ws.on('response.output_text.delta', (e: { delta: string }) => (out.text += e.delta));
    ws.on('response.completed', () => ws.close({ code: 1000, reason: 'done' }));
    ws.socket.on('close', () => (clearTimeout(timer), done(out)));
  });
}

describe('ResponsesWS', () => {
  let fake: Awaited<ReturnType<typeof startResponsesFake>>;
  beforeAll(async () => {
    await mkdir(WORK, { recursive: true });
    fake = await startResponsesFake();
  });
  afterAll(async () => {
    await fake.close();
    await rm(WORK, { recursive: true, force: true });
  });

  it('records through the proxy at its own address and replays from the cassette URL', async () => {
    const traces: Trace[] = [];
    const rec = await startRecorder({ upstream: `http://127.0.0.1:${fake.port}`, onTrace: (t) => void traces.push(t) });
    try {
      expect(await ask(`${rec.url}/v1`, 'over ws')).toEqual({ text: 'echo: over ws' });
    } finally {
      await rec.close();
    }
    expect(traces).toHaveLength(1);
    expect(traces[0]!.metadata.provider).toBe('openai-responses');
    expect(traces[0]!.http.url).toBe('/v1/responses');
    await fake.close();

    const file = join(WORK, 'responses.yaml');
    await writeFile(file, stringifyCassette({ version: 2, interactions: traces }));
    const s = await openCassette(file, { mode: 'none', intercept: false, env: { CI: 'true' } });
    try {
      expect(await ask(`${s.url}/v1`, 'over ws')).toEqual({ text: 'echo: over ws' });
      expect(s.misses).toEqual([]);
      const other = await ask(`${s.url}/v1`, 'something else');
      expect(other.text).toBe('');
      expect(s.misses[0]!.message).toContain('differs at $.input: recorded "over ws", received "something else"');
    } finally {
      await s.close();
    }
  }, 60_000);
});
