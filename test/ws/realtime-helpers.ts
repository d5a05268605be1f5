/** An app that talks to OpenAI Realtime with the official `OpenAIRealtimeWS`, unchanged: it has no idea a cassette serves it. */
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';

export interface RealtimeRun {
  text: string;
  /** Event types in arrival order. */
  types: string[];
  /** When each event arrived and when the question was sent (performance.now()). */
  at: Record<string, number>;
  close?: { code: number; reason: string };
  error?: string;
}

/** Open a session, set instructions, ask `question`, collect the answer's text, then close. */
export function askRealtime(question: string, opts: { instructions?: string; waitBeforeAskMs?: number; apiKey?: string } = {}): Promise<RealtimeRun> {
  const client = new OpenAI({ apiKey: opts.apiKey ?? 'sk-test-realtime-0123456789abcdef', maxRetries: 0 });
  const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime' }, client);
  const run: RealtimeRun = { text: '', types: [], at: {} };
  return new Promise((resolve) => {
    const done = () => resolve(run);
    const timer = setTimeout(() => {
      run.error ??= 'timed out';
      rt.close();
      done();
    }, 15_000);
    rt.on('event', (e: { type: string }) => {
      run.types.push(e.type);
      run.at[e.type] ??= performance.now();
    });
    rt.on('error', (e: Error) => {
      run.error ??= e.message;
    });
    rt.on('session.created', () => {
      rt.send({ type: 'session.update', session: { type: 'realtime', instructions: opts.instructions ?? 'Be brief.' } });
    });
    rt.on('session.updated', () => {
      setTimeout(() => {
        rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: question }] } });
        rt.send({ type: 'response.create' });
        run.at.asked = performance.now();
      }, opts.waitBeforeAskMs ?? 0);
    });
    rt.on('response.output_text.delta', (e: { delta: string }) => {
      run.text += e.delta;
    });
    rt.on('response.done', () => rt.close({ code: 1000, reason: 'done' }));
    rt.socket.on('close', (code: number, reason: Buffer) => {
      clearTimeout(timer);
      run.close = { code, reason: reason.toString() };
      done();
    });
  });
}

/** The same conversation as askRealtime, by a plain `ws` client at `url` (a recorder's own address, as `traceforge record` gives it). */
export async function askRealtimeRaw(url: string, question: string, opts: { instructions?: string; apiKey?: string } = {}): Promise<RealtimeRun> {
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${opts.apiKey ?? 'sk-test-realtime-0123456789abcdef'}` } });
  const run: RealtimeRun = { text: '', types: [], at: {} };
  const send = (e: unknown) => ws.send(JSON.stringify(e));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      run.error ??= 'timed out';
      ws.terminate();
    }, 15_000);
    ws.on('error', (e) => (run.error ??= e.message));
    ws.on('message', (data) => {
      const e = JSON.parse(data.toString()) as { type: string; delta?: string };
      run.types.push(e.type);
      run.at[e.type] ??= performance.now();
      if (e.type === 'session.created') send({ type: 'session.update', session: { type: 'realtime', instructions: opts.instructions ?? 'Be brief.' } });
      if (e.type === 'session.updated') {
        send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: question }] } });
        send({ type: 'response.create' });
        run.at.asked = performance.now();
      }
      if (e.type === 'response.output_text.delta') run.text += e.delta;
      if (e.type === 'response.done') ws.close(1000, 'done');
    });
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      run.close = { code, reason: reason.toString() };
      resolve(run);
    });
  });
}
