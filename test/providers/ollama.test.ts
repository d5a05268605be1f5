import { Ollama } from 'ollama';
import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/trace/reconstruct.js';
import { ollamaChatStream, ollamaGenerateStream } from '../fakes/index.js';
import { firstContentChunk, recordThenReplay, type ClientTarget } from './harness.js';

const client = ({ base, fetch }: ClientTarget) => new Ollama({ host: base, fetch });

describe('Ollama native API through record and replay with the official client', () => {
  it('/api/chat: thinking, text and tool calls over NDJSON, ending with the done line and its durations', async () => {
    const opts = { thinking: 'Need the weather.', text: 'Let me check.', toolCalls: [{ name: 'get_weather', arguments: { city: 'Lima' } }], gaps: 1 };
    const rt = await recordThenReplay({ ollama: () => ollamaChatStream(opts) }, async (t) => {
      let text = '';
      let thinking = '';
      const calls: unknown[] = [];
      let done: Record<string, unknown> = {};
      for await (const part of await client(t).chat({ model: 'llama3.2', stream: true, messages: [{ role: 'user', content: 'weather?' }] })) {
        text += part.message.content;
        thinking += part.message.thinking ?? '';
        calls.push(...(part.message.tool_calls ?? []));
        if (part.done) done = { reason: part.done_reason, eval_count: part.eval_count, total_duration: part.total_duration };
      }
      return { text, thinking, calls, done };
    });
    expect(rt.live).toEqual({
      text: 'Let me check.',
      thinking: 'Need the weather.',
      calls: [{ function: { name: 'get_weather', arguments: { city: 'Lima' } } }],
      done: { reason: 'stop', eval_count: 8, total_duration: 1_234_567_890 },
    });
    expect(rt.replayed).toEqual(rt.live);
    expect(rt.liveBodies[0]!.toString()).toBe(rt.upstreamBodies[0]);
    expect(rt.replayBodies[0]!.equals(rt.liveBodies[0]!)).toBe(true);

    const trace = rt.traces[0]!;
    expect(trace.http.framing).toBe('ndjson');
    expect(trace.metadata).toMatchObject({ provider: 'ollama', model: 'llama3.2', stream: true });
    const res = trace.response as { message: { content: string }; done: boolean; eval_duration: number; prompt_eval_count: number };
    expect(res).toMatchObject({ done: true, eval_duration: 345_678_901, prompt_eval_count: 26, message: { content: 'Let me check.' } });
    const summary = summarize('ollama', res);
    expect(summary.tool_calls).toEqual([expect.objectContaining({ name: 'get_weather', arguments: { city: 'Lima' } })]);
    expect(summary.reasoning).toBe('Need the weather.');
    expect(trace.first_content_latency_ms!).toBeGreaterThanOrEqual(trace.first_chunk_latency_ms!);
  });

  it('/api/generate: the response text and the done line with context', async () => {
    const rt = await recordThenReplay({ ollama: () => ollamaGenerateStream({ text: 'Why is the sky blue? Rayleigh.', gaps: 1 }) }, async (t) => {
      let text = '';
      let context: number[] | undefined;
      for await (const part of await client(t).generate({ model: 'llama3.2', prompt: 'sky?', stream: true })) {
        text += part.response;
        if (part.done) context = part.context;
      }
      return { text, context };
    });
    expect(rt.live).toEqual({ text: 'Why is the sky blue? Rayleigh.', context: [1, 2, 3] });
    expect(rt.replayed).toEqual(rt.live);
    expect(rt.replayBodies[0]!.equals(rt.liveBodies[0]!)).toBe(true);
    const trace = rt.traces[0]!;
    expect(trace.endpoint).toBe('/api/generate');
    expect(trace.response).toMatchObject({ response: 'Why is the sky blue? Rayleigh.', done: true, context: [1, 2, 3] });
    expect(firstContentChunk(trace)!.index).toBe(0);
  });
});
