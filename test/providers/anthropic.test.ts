import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/trace/reconstruct.js';
import { anthropicStream, loadAnthropicFixture } from '../fakes/index.js';
import { firstContentChunk, recordThenReplay, type ClientTarget } from './harness.js';

const KEY = 'sk-ant-api03-ProviderTestKeyThatMustNeverReachDisk0000000000';
const client = ({ base, fetch }: ClientTarget) => new Anthropic({ baseURL: base, apiKey: KEY, fetch, maxRetries: 0 });
const TOOL = { name: 'json', description: 'Respond with JSON', input_schema: { type: 'object' as const, properties: {} } };

async function streamMessage(t: ClientTarget, withTools = false) {
  const s = client(t).messages.stream({ model: 'claude-haiku-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'Hello, how are you?' }], ...(withTools ? { tools: [TOOL] } : {}) });
  let text = '';
  let json = '';
  s.on('text', (d) => (text += d));
  s.on('inputJson', (d) => (json += d));
  const final = await s.finalMessage();
  return { text, json, content: final.content, stop: final.stop_reason, usage: final.usage.output_tokens, model: final.model };
}

describe('Anthropic Messages through record and replay with the official SDK (messages.stream)', () => {
  it('a real captured text stream: same text, same bytes, rebuilt message, content after message_start and ping', async () => {
    const rt = await recordThenReplay({ anthropic: () => anthropicStream(loadAnthropicFixture('text'), { gaps: 1 }) }, (t) => streamMessage(t));
    expect(rt.live.text).toBe("Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?");
    expect(rt.live.stop).toBe('end_turn');
    expect(rt.replayed).toEqual(rt.live);
    expect(rt.liveBodies[0]!.toString()).toBe(rt.upstreamBodies[0]);
    expect(rt.replayBodies[0]!.equals(rt.liveBodies[0]!)).toBe(true);

    const trace = rt.traces[0]!;
    expect(trace.metadata).toMatchObject({ provider: 'anthropic', model: 'claude-sonnet-4-5-20250929', stream: true, status: 'success' });
    const message = trace.response as Anthropic.Message;
    expect(message.content).toEqual(rt.live.content);
    expect(message.usage.output_tokens).toBe(rt.live.usage);
    expect(trace.chunks!.slice(0, 3).map((c) => c.event)).toEqual(['message_start', 'content_block_start', 'ping']);
    expect(firstContentChunk(trace)!.event).toBe('content_block_delta');
    expect(trace.first_content_latency_ms!).toBeGreaterThanOrEqual(trace.first_chunk_latency_ms!);
    expect(JSON.stringify(trace)).not.toContain(KEY);
    // The upstream still gets the key (this SDK version sends it as a bearer token).
    expect(JSON.stringify(rt.requests.anthropic![0]!.headers)).toContain(KEY);
  });

  it('a real captured tool_use stream: partial_json joined into the same input', async () => {
    const rt = await recordThenReplay({ anthropic: () => anthropicStream(loadAnthropicFixture('tool-use'), { gaps: 1 }) }, (t) => streamMessage(t, true));
    const input = { elements: [{ location: 'San Francisco', temperature: 58, condition: 'sunny' }] };
    expect(rt.live.content).toEqual([{ type: 'tool_use', id: 'toolu_01KFbKqPYSuAKujiL6mTfzYA', name: 'json', input }]);
    expect(rt.live.stop).toBe('tool_use');
    expect(rt.replayed).toEqual(rt.live);
    expect(rt.replayBodies[0]!.equals(rt.liveBodies[0]!)).toBe(true);
    const summary = summarize('anthropic', rt.traces[0]!.response);
    expect(summary.tool_calls).toEqual([{ id: 'toolu_01KFbKqPYSuAKujiL6mTfzYA', name: 'json', arguments: input }]);
    expect(summary.finish_reason).toBe('tool_use');
    expect(rt.traces[0]!.metadata.model).toBe('claude-haiku-4-5-20251001');
  });

  it('thinking then text then tool_use, all three blocks rebuilt', async () => {
    const opts = { thinking: 'The user greets me; answer and look something up.', text: 'Hi! Checking.', toolUse: { id: 'toolu_x', name: 'lookup', input: { q: 'greeting etiquette' } } };
    const rt = await recordThenReplay({ anthropic: () => anthropicStream(opts, { gaps: 1 }) }, (t) => streamMessage(t, true));
    expect(rt.live.content.map((b) => b.type)).toEqual(['thinking', 'text', 'tool_use']);
    expect(rt.replayed).toEqual(rt.live);
    const message = rt.traces[0]!.response as Anthropic.Message;
    expect(message.content).toEqual(rt.live.content);
    expect(summarize('anthropic', message).reasoning).toBe(opts.thinking);
  });

  it('an error event after a 200 fails the SDK the same way on replay, and the trace is an error', async () => {
    const rt = await recordThenReplay({ anthropic: () => anthropicStream({ text: 'Partial answer', error: { type: 'overloaded_error', message: 'Overloaded' } }, { gaps: 1 }) }, async (t) => {
      try {
        await streamMessage(t);
        return 'no error';
      } catch (e) {
        return String((e as Error).message);
      }
    });
    expect(rt.live).toContain('Overloaded');
    expect(rt.replayed).toBe(rt.live);
    expect(rt.replayBodies[0]!.equals(rt.liveBodies[0]!)).toBe(true);
    expect(rt.traces[0]!.http.status).toBe(200);
    expect(rt.traces[0]!.metadata.status).toBe('error');
  });
});
