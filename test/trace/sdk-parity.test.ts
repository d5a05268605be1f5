/**
 * The official SDKs parse the bytes our fakes write and accumulate the final object themselves.
 * Our reconstruction of the same frames must agree with them: that checks both the fakes' framing
 * and the reconstructors against an independent implementation.
 */
import Anthropic from '@anthropic-ai/sdk';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { reconstruct, summarize } from '../../src/trace/reconstruct.js';
import {
  anthropicStream,
  createJitter,
  loadAnthropicFixture,
  ollamaChatStream,
  openaiChatStream,
  openaiResponsesStream,
  scriptChunks,
  startFakeUpstream,
  type FakeUpstream,
  type Script,
} from '../fakes/index.js';

let fake: FakeUpstream | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});
// Real-looking pacing without the long stalls, so the suite stays fast.
const gaps = () => createJitter(11, { burst: 0.5, stall: 0 });
const rebuilt = (endpoint: string, script: Script) => reconstruct({ endpoint, request: null, status: 200, stream: true, chunks: scriptChunks(script) });

describe('reconstruction agrees with the official SDKs', () => {
  it('openai chat.completions.stream().finalChatCompletion()', async () => {
    const script = openaiChatStream({
      text: 'Checking two cities.',
      toolCalls: [
        { id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { id: 'call_2', name: 'get_weather', arguments: '{"city":"Tokyo"}' },
      ],
      includeUsage: true,
      gaps: gaps(),
    });
    fake = await startFakeUpstream(script);
    const client = new OpenAI({ baseURL: `${fake.url}/v1`, apiKey: 'sk-test' });
    const sdk = await client.chat.completions
      .stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream_options: { include_usage: true } })
      .finalChatCompletion();
    const ours = rebuilt('/v1/chat/completions', script).response as any;
    expect(ours.id).toBe(sdk.id);
    expect(ours.model).toBe(sdk.model);
    expect(ours.usage).toEqual(sdk.usage);
    expect(ours.choices[0].finish_reason).toBe(sdk.choices[0]!.finish_reason);
    expect(ours.choices[0].message.content).toBe(sdk.choices[0]!.message.content);
    expect(ours.choices[0].message.tool_calls).toEqual(sdk.choices[0]!.message.tool_calls!.map(({ id, type, function: f }) => ({ id, type, function: { name: f.name, arguments: f.arguments } })));
  });

  it('openai responses.stream().finalResponse()', async () => {
    const script = openaiResponsesStream({ reasoningSummary: 'Think first.', text: 'Sure.', functionCalls: [{ name: 'f', arguments: '{"x":1}' }], gaps: gaps() });
    fake = await startFakeUpstream(script);
    const client = new OpenAI({ baseURL: `${fake.url}/v1`, apiKey: 'sk-test' });
    const sdk = await client.responses.stream({ model: 'gpt-4.1-mini', input: 'hi' }).finalResponse();
    const ours = rebuilt('/v1/responses', script).response as any;
    // The SDK adds its own `parsed` / `parsed_arguments` helpers; everything the API sent must match.
    const withoutHelpers = JSON.parse(JSON.stringify(sdk.output, (k, v) => (k === 'parsed' || k === 'parsed_arguments' ? undefined : v)));
    expect(ours.output).toEqual(withoutHelpers);
    expect(ours.usage).toEqual(sdk.usage);
    expect(summarize('openai-responses', ours)).toMatchObject({ text: 'Sure.', reasoning: 'Think first.', tool_calls: [{ name: 'f', arguments: { x: 1 } }] });
  });

  it.each(['text', 'tool-use'] as const)('anthropic messages.stream().finalMessage() on the %s fixture', async (name) => {
    const script = anthropicStream(loadAnthropicFixture(name), { gaps: gaps() });
    fake = await startFakeUpstream(script);
    const client = new Anthropic({ baseURL: fake.url, apiKey: 'sk-ant-test', maxRetries: 0 });
    const sdk = await client.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    const ours = rebuilt('/v1/messages', script).response as any;
    expect(ours.content).toEqual(sdk.content);
    expect(ours.stop_reason).toBe(sdk.stop_reason);
    expect(ours.usage.output_tokens).toBe(sdk.usage.output_tokens);
    expect(ours.usage.input_tokens).toBe(sdk.usage.input_tokens);
    expect(ours.id).toBe(sdk.id);
  });

  it('ollama chat stream parts concatenate to our reconstruction', async () => {
    const script = ollamaChatStream({ text: 'Blue light scatters more.', gaps: gaps() });
    fake = await startFakeUpstream(script);
    const client = new Ollama({ host: fake.url });
    let text = '';
    let last: { done_reason?: string; eval_count?: number } = {};
    for await (const part of await client.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'why?' }], stream: true })) {
      text += part.message.content;
      last = part;
    }
    const rec = rebuilt('/api/chat', script);
    const s = summarize('ollama', rec.response);
    expect(s.text).toBe(text);
    expect(s.finish_reason).toBe(last.done_reason);
    expect(s.usage?.output_tokens).toBe(last.eval_count);
  });
});
