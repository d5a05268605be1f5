import { createOpenAI } from '@ai-sdk/openai';
import { jsonSchema, streamText, tool } from 'ai';
import { describe, expect, it } from 'vitest';
import { openaiChatStream, openaiResponsesStream } from '../fakes/index.js';
import { recordThenReplay, type ClientTarget } from './harness.js';

const provider = ({ base, fetch }: ClientTarget) => createOpenAI({ baseURL: `${base}/v1`, apiKey: 'sk-test', fetch });
const tools = {
  get_weather: tool({ description: 'Weather for a city', inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }) }),
};

async function run(model: Parameters<typeof streamText>[0]['model']) {
  const result = streamText({ model, prompt: 'weather in Rome?', tools, maxRetries: 0 });
  let streamed = '';
  for await (const d of result.textStream) streamed += d;
  const calls = (await result.toolCalls).map((c) => ({ id: c.toolCallId, name: c.toolName, input: c.input }));
  return { streamed, text: await result.text, calls, finish: await result.finishReason, usage: (await result.usage).outputTokens };
}

describe('AI SDK streamText with @ai-sdk/openai through record and replay', () => {
  it('the default Responses path: text and a function call', async () => {
    const script = () => openaiResponsesStream({ text: 'Checking Rome now.', functionCalls: [{ name: 'get_weather', arguments: '{"city":"Rome"}', callId: 'call_r1' }], gaps: 1 });
    const rt = await recordThenReplay({ openai: script }, (t) => run(provider(t)('gpt-4.1-mini')));
    expect(rt.live).toMatchObject({ streamed: 'Checking Rome now.', text: 'Checking Rome now.', calls: [{ id: 'call_r1', name: 'get_weather', input: { city: 'Rome' } }], usage: 11 });
    expect(rt.replayed).toEqual(rt.live);
    expect(rt.traces[0]!.endpoint).toBe('/v1/responses');
    expect(rt.traces[0]!.metadata.provider).toBe('openai-responses');
    expect(rt.liveBodies[0]!.toString()).toBe(rt.upstreamBodies[0]);
    expect(rt.replayBodies[0]!.equals(rt.liveBodies[0]!)).toBe(true);
  });

  it('the chat path: text deltas and a tool call merged from argument deltas', async () => {
    const script = () => openaiChatStream({ text: 'Checking Rome.', toolCalls: [{ id: 'call_c1', name: 'get_weather', arguments: '{"city":"Rome"}' }], includeUsage: true, gaps: 1 });
    const rt = await recordThenReplay({ openai: script }, (t) => run(provider(t).chat('gpt-4o-mini')));
    expect(rt.live).toMatchObject({ streamed: 'Checking Rome.', calls: [{ id: 'call_c1', name: 'get_weather', input: { city: 'Rome' } }], finish: 'tool-calls', usage: 7 });
    expect(rt.replayed).toEqual(rt.live);
    expect(rt.traces[0]!.endpoint).toBe('/v1/chat/completions');
    expect(rt.replayBodies[0]!.equals(rt.liveBodies[0]!)).toBe(true);
  });
});
