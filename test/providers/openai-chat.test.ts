import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/trace/reconstruct.js';
import { jsonResponse, openaiChatStream } from '../fakes/index.js';
import { firstContentChunk, recordThenReplay, type ClientTarget } from './harness.js';

const KEY = 'sk-proj-ProviderTestKeyThatMustNeverReachDisk000000';
const client = ({ base, fetch }: ClientTarget) => new OpenAI({ baseURL: `${base}/v1`, apiKey: KEY, fetch, maxRetries: 0 });
const TOOLS = [
  { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
  { name: 'get_time', arguments: '{"tz":"Europe/Paris"}' },
];

describe('OpenAI Chat Completions through record and replay with the official SDK', () => {
  it('streams text with include_usage: same text, same bytes, rebuilt completion with usage', async () => {
    const rt = await recordThenReplay({ openai: () => openaiChatStream({ text: 'Streams keep every token in place.', includeUsage: true, gaps: 1 }) }, async (t) => {
      const s = client(t).chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream_options: { include_usage: true } });
      const final = await s.finalChatCompletion();
      return { text: final.choices[0]!.message.content, usage: final.usage };
    });
    expect(rt.live.text).toBe('Streams keep every token in place.');
    expect(rt.replayed).toEqual(rt.live);
    expect(rt.liveBodies[0]!.toString()).toBe(rt.upstreamBodies[0]);
    expect(rt.replayBodies[0]!.equals(rt.liveBodies[0]!)).toBe(true);
    const trace = rt.traces[0]!;
    expect(trace.metadata).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini-2024-07-18', stream: true, status: 'success' });
    const res = trace.response as OpenAI.Chat.ChatCompletion;
    expect(res.object).toBe('chat.completion');
    expect(res.choices[0]!.message.content).toBe(rt.live.text);
    expect(res.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 });
    // The role-only first chunk is not content; the first text delta is.
    expect(firstContentChunk(trace)!.index).toBe(1);
    expect(trace.first_content_latency_ms!).toBeGreaterThanOrEqual(trace.first_chunk_latency_ms!);
  });

  it('merges parallel tool calls by index identically live and replayed', async () => {
    const rt = await recordThenReplay({ openai: () => openaiChatStream({ toolCalls: TOOLS, gaps: 1 }) }, async (t) => {
      const s = client(t).chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'weather and time?' }] });
      const final = await s.finalChatCompletion();
      return final.choices[0]!.message.tool_calls!.map((c) => (c.type === 'function' ? { id: c.id, name: c.function.name, args: c.function.arguments } : c));
    });
    expect(rt.live).toEqual([
      { id: 'call_0_get_weather', name: 'get_weather', args: TOOLS[0]!.arguments },
      { id: 'call_1_get_time', name: 'get_time', args: TOOLS[1]!.arguments },
    ]);
    expect(rt.replayed).toEqual(rt.live);
    expect(rt.replayBodies[0]!.equals(rt.liveBodies[0]!)).toBe(true);
    const summary = summarize('openai', rt.traces[0]!.response);
    expect(summary.finish_reason).toBe('tool_calls');
    expect(summary.tool_calls.map((c) => [c.name, c.arguments])).toEqual([
      ['get_weather', { city: 'Paris', unit: 'celsius' }],
      ['get_time', { tz: 'Europe/Paris' }],
    ]);
  });

  it('keeps n>1 choices apart', async () => {
    const rt = await recordThenReplay({ openai: () => openaiChatStream({ choices: [{ text: 'First answer.' }, { text: 'Second answer here.' }], gaps: 1 }) }, async (t) => {
      const s = client(t).chat.completions.stream({ model: 'gpt-4o-mini', n: 2, messages: [{ role: 'user', content: 'two' }] });
      return (await s.finalChatCompletion()).choices.map((c) => c.message.content);
    });
    expect(rt.live).toEqual(['First answer.', 'Second answer here.']);
    expect(rt.replayed).toEqual(rt.live);
    expect(rt.replayBodies[0]!.equals(rt.liveBodies[0]!)).toBe(true);
    const res = rt.traces[0]!.response as OpenAI.Chat.ChatCompletion;
    expect(res.choices.map((c) => [c.index, c.message.content])).toEqual([
      [0, 'First answer.'],
      [1, 'Second answer here.'],
    ]);
  });

  it('records legacy completions and embeddings as non-stream calls', async () => {
    const completion = { id: 'cmpl-1', object: 'text_completion', created: 1, model: 'gpt-3.5-turbo-instruct', choices: [{ text: ' world', index: 0, logprobs: null, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
    const embedding = { object: 'list', model: 'text-embedding-3-small', data: [{ object: 'embedding', index: 0, embedding: [0.25, -0.5, 0.125] }], usage: { prompt_tokens: 2, total_tokens: 2 } };
    const rt = await recordThenReplay({ openai: (req) => jsonResponse(req.url.endsWith('/embeddings') ? embedding : completion) }, async (t) => {
      const c = await client(t).completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'hello' });
      const e = await client(t).embeddings.create({ model: 'text-embedding-3-small', input: 'hello', encoding_format: 'float' });
      return { text: c.choices[0]!.text, vector: e.data[0]!.embedding };
    });
    expect(rt.live).toEqual({ text: ' world', vector: [0.25, -0.5, 0.125] });
    expect(rt.replayed).toEqual(rt.live);
    expect(rt.traces.map((t) => [t.endpoint, t.metadata.stream, t.metadata.provider, t.metadata.model])).toEqual([
      ['/v1/completions', false, 'openai', 'gpt-3.5-turbo-instruct'],
      ['/v1/embeddings', false, 'openai', 'text-embedding-3-small'],
    ]);
    expect(rt.traces[1]!.response).toEqual(embedding);
    expect(rt.replayBodies.map(String)).toEqual(rt.liveBodies.map(String));
    expect(JSON.stringify(rt.traces)).not.toContain(KEY);
  });
});
