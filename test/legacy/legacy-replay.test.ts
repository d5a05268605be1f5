import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startReplayServer, type ReplayServer, type ServedInteraction } from '../../src/replay/replay-server.js';
import { parseTrace } from '../../src/trace/codec.js';
import { summarize } from '../../src/trace/reconstruct.js';
import type { Trace } from '../../src/trace/types.js';
import { seedText } from './seeds.js';

const load = (name: string): Trace => parseTrace(seedText(name), `${name}.json`);
let server: ReplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('replaying a schema 1.0.0 trace', () => {
  it('serves the synthesised SSE, event by event, and says the answer was synthesised', async () => {
    const trace = load('openai-chat-stream');
    const served: ServedInteraction[] = [];
    server = await startReplayServer({ cassette: [trace], speed: 0, onServe: (s) => served.push(s) });
    const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(trace.request) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const body = await res.text();
    const events = body.split('\n\n').filter(Boolean);
    expect(events).toHaveLength(20);
    expect(events.at(-1)).toBe('data: [DONE]');
    expect(body).toBe(trace.chunks!.map((c) => c.raw).join(''));
    for (const [i, e] of events.slice(0, -1).entries()) expect(JSON.parse(e.slice('data: '.length))).toEqual(trace.chunks![i]!.data);
    expect(served).toEqual([{ index: 0, id: '7c9e6679f4a1', method: 'POST', url: '/v1/chat/completions', synthesized: true }]);
  });

  it('the official openai SDK (v6) reads the same content from it, at the recorded pace', async () => {
    const trace = load('openai-chat-stream');
    server = await startReplayServer({ cassette: [trace], speed: 1 });
    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'replayed', maxRetries: 0 });
    const started = performance.now();
    const stream = openai.chat.completions.stream(trace.request as OpenAI.ChatCompletionCreateParamsStreaming);
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
    }
    const elapsed = performance.now() - started;
    const final = await stream.finalChatCompletion();
    expect(text).toBe('TraceForge records each streamed chunk with its timing, then replays it in CI.');
    expect(text).toBe(summarize('openai', trace.response).text);
    expect(final.choices[0]?.finish_reason).toBe('stop');
    expect(final.usage).toMatchObject({ prompt_tokens: 24, completion_tokens: 16 });
    expect(chunks).toBe(19);
    // TTFB 412 ms + 199 ms of gaps: the replay keeps the recorded timing, not an instant dump.
    expect(elapsed).toBeGreaterThan(600);
  });

  it('the official Anthropic SDK reads a legacy Anthropic stream (named events)', async () => {
    const trace = load('anthropic-messages-stream');
    server = await startReplayServer({ cassette: [trace], speed: 0 });
    const anthropic = new Anthropic({ baseURL: server.url, apiKey: 'replayed', maxRetries: 0 });
    const stream = anthropic.messages.stream(trace.request as Anthropic.MessageStreamParams);
    let text = '';
    stream.on('text', (t) => (text += t));
    const message = await stream.finalMessage();
    expect(text).toBe('Bonjour! Paris is the capital of France.');
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage.output_tokens).toBe(12);
  });

  it('a miss whose closest recording is synthesised says so', async () => {
    const trace = load('openai-extra-fields');
    server = await startReplayServer({ cassette: [trace], speed: 0 });
    const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...(trace.request as object), temperature: 1 }) });
    expect(res.status).toBe(404);
    const { error } = (await res.json()) as { error: { message: string; closest: { synthesized?: boolean } } };
    expect(error.closest.synthesized).toBe(true);
    expect(error.message).toContain('differs in body.temperature: recorded 0, received 1');
    expect(error.message).toContain('It comes from a schema 1.0.0 trace of the first TraceForge: its response framing is synthesised from parsed chunks.');
  });
});
