import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/trace/reconstruct.js';
import { openaiResponsesStream, sse, SSE_HEADERS, streamScript } from '../fakes/index.js';
import { firstContentChunk, recordThenReplay, type ClientTarget } from './harness.js';

const client = ({ base, fetch }: ClientTarget) => new OpenAI({ baseURL: `${base}/v1`, apiKey: 'sk-test', fetch, maxRetries: 0 });

describe('OpenAI Responses API through record and replay with the official SDK', () => {
  it('streams reasoning summary, text and function-call argument deltas', async () => {
    const script = () =>
      openaiResponsesStream({
        reasoningSummary: 'The user wants the weather, so call the tool.',
        text: 'Let me check that.',
        functionCalls: [{ name: 'get_weather', arguments: '{"city":"Oslo"}', callId: 'call_w1' }],
        gaps: 1,
      });
    const rt = await recordThenReplay({ openai: script }, async (t) => {
      const s = client(t).responses.stream({ model: 'gpt-4.1-mini', input: 'weather in Oslo?', tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false }] });
      let deltas = '';
      s.on('response.function_call_arguments.delta', (e) => (deltas += e.delta));
      const final = await s.finalResponse();
      const call = final.output.find((o) => o.type === 'function_call');
      const text = final.output.flatMap((o) => (o.type === 'message' ? o.content : [])).map((c) => (c.type === 'output_text' ? c.text : '')).join('');
      return { text, deltas, call: call && call.type === 'function_call' ? [call.call_id, call.name, call.arguments] : null, status: final.status };
    });
    expect(rt.live).toEqual({ text: 'Let me check that.', deltas: '{"city":"Oslo"}', call: ['call_w1', 'get_weather', '{"city":"Oslo"}'], status: 'completed' });
    expect(rt.replayed).toEqual(rt.live);
    expect(rt.liveBodies[0]!.toString()).toBe(rt.upstreamBodies[0]);
    expect(rt.replayBodies[0]!.equals(rt.liveBodies[0]!)).toBe(true);

    const trace = rt.traces[0]!;
    expect(trace.metadata).toMatchObject({ provider: 'openai-responses', model: 'gpt-4.1-mini-2025-04-14', stream: true });
    const summary = summarize('openai-responses', trace.response);
    expect(summary.text).toBe('Let me check that.');
    expect(summary.reasoning).toBe('The user wants the weather, so call the tool.');
    expect(summary.tool_calls).toEqual([expect.objectContaining({ name: 'get_weather', arguments: { city: 'Oslo' } })]);
    expect(summary.usage).toMatchObject({ input_tokens: 20, output_tokens: 11 });
    // response.created / in_progress / output_item.added are lifecycle: content starts later.
    const first = firstContentChunk(trace)!;
    expect(first.event).toMatch(/delta$/);
    expect(trace.chunks![0]!.event).toBe('response.created');
    expect(trace.first_content_latency_ms!).toBeGreaterThanOrEqual(trace.first_chunk_latency_ms!);
  });

  it('replays a stream that ends in response.failed the same way, and the trace is an error', async () => {
    const events = [
      { type: 'response.created', sequence_number: 0, response: { id: 'resp_f', object: 'response', model: 'gpt-4.1-mini', status: 'in_progress', output: [] } },
      { type: 'response.output_text.delta', sequence_number: 1, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Par' },
      { type: 'response.failed', sequence_number: 2, response: { id: 'resp_f', object: 'response', model: 'gpt-4.1-mini', status: 'failed', output: [], error: { code: 'server_error', message: 'The model crashed.' } } },
    ];
    const rt = await recordThenReplay({ openai: () => streamScript(events.map((e) => sse(e, e.type)), SSE_HEADERS, { gaps: 1 }) }, async (t) => {
      const stream = await client(t).responses.create({ model: 'gpt-4.1-mini', input: 'x', stream: true });
      const seen: string[] = [];
      for await (const e of stream) seen.push(e.type);
      return seen;
    });
    expect(rt.live).toEqual(['response.created', 'response.output_text.delta', 'response.failed']);
    expect(rt.replayed).toEqual(rt.live);
    expect(rt.replayBodies[0]!.equals(rt.liveBodies[0]!)).toBe(true);
    expect(rt.traces[0]!.metadata.status).toBe('error');
  });
});
