import { describe, expect, it } from 'vitest';
import { reconstruct, summarize, type ReconstructInput } from '../../src/trace/reconstruct.js';
import { openaiResponsesEvents, openaiResponsesStream, scriptChunks } from '../fakes/index.js';

function responses(chunks: ReconstructInput['chunks'], status = 200) {
  return reconstruct({ endpoint: '/v1/responses', request: { model: 'gpt-4.1-mini', stream: true }, status, stream: true, chunks });
}
const opts = { reasoningSummary: 'Need the weather first.', text: 'Let me look that up.', functionCalls: [{ name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}', callId: 'call_w' }] };

describe('OpenAI Responses reconstruction', () => {
  it('takes the final response from response.completed', () => {
    const chunks = scriptChunks(openaiResponsesStream(opts));
    const rec = responses(chunks);
    expect(rec.provider).toBe('openai-responses');
    expect(rec.model).toBe('gpt-4.1-mini-2025-04-14');
    const completed = chunks.find((c) => c.event === 'response.completed')!.data as any;
    expect(rec.response).toEqual(completed.response);
    expect(summarize('openai-responses', rec.response)).toEqual({
      text: 'Let me look that up.',
      tool_calls: [{ id: 'call_w', name: 'get_weather', arguments: { city: 'Paris', unit: 'c' } }],
      finish_reason: 'completed',
      usage: { input_tokens: 20, output_tokens: 11, total_tokens: 31 },
      reasoning: 'Need the weather first.',
    });
  });

  it('rebuilds from item and delta events when the stream was cut before completion', () => {
    const full = scriptChunks(openaiResponsesStream(opts));
    const rec = responses(full.filter((c) => c.event !== 'response.completed'));
    const completed = (full.at(-1)!.data as any).response;
    // Same output items as the terminal event carried; the status stays what the stream last said.
    expect((rec.response as any).output).toEqual(completed.output);
    expect((rec.response as any).status).toBe('in_progress');

    // Cut harder: no *.done events at all, only deltas. Arguments and summary still assemble.
    const deltasOnly = full.filter((c) => !/\.done$|completed$/.test(c.event ?? ''));
    const s = summarize('openai-responses', responses(deltasOnly).response);
    expect(s.text).toBe('Let me look that up.');
    expect(s.reasoning).toBe('Need the weather first.');
    expect(s.tool_calls).toEqual([{ id: 'call_w', name: 'get_weather', arguments: { city: 'Paris', unit: 'c' } }]);
  });

  it('keeps the raw arguments when a function call was cut mid-argument', () => {
    const events = openaiResponsesEvents({ functionCalls: [{ name: 'f', arguments: '{"a":1,"b":[2,3]}' }], omitCompleted: true });
    const cut = events.slice(0, events.findIndex((e) => e.type === 'response.function_call_arguments.delta') + 2);
    const s = summarize('openai-responses', responses(cut.map((data) => ({ event: data.type, data }))).response);
    expect(s.tool_calls).toHaveLength(1);
    expect(typeof s.tool_calls[0]!.arguments).toBe('string');
    expect('{"a":1,"b":[2,3]}'.startsWith(s.tool_calls[0]!.arguments as string)).toBe(true);
  });

  it('finds first content after the lifecycle events (created, in_progress, empty item/part added)', () => {
    const chunks = scriptChunks(openaiResponsesStream({ text: 'Hi there' }));
    const rec = responses(chunks);
    expect(chunks[rec.firstContentIndex!]!.event).toBe('response.output_text.delta');
    expect(rec.firstContentIndex).toBe(4);
    const tool = scriptChunks(openaiResponsesStream({ functionCalls: [{ name: 'f', arguments: '{}' }] }));
    expect(tool[responses(tool).firstContentIndex!]!.event).toBe('response.output_item.added');
  });

  it('reports error events and failed responses', () => {
    const created = scriptChunks(openaiResponsesStream({ text: 'x', omitCompleted: true })).slice(0, 2);
    const rec = responses([...created, { event: 'error', data: { type: 'error', code: 'server_error', message: 'The model failed', param: null, sequence_number: 2 } }]);
    expect(rec.error).toBe('server_error: The model failed');
    expect((rec.response as any).status).toBe('in_progress');

    const failed = responses([{ event: 'response.failed', data: { type: 'response.failed', response: { id: 'r', object: 'response', status: 'failed', model: 'gpt-4.1', output: [], error: { code: 'rate_limit_exceeded', message: 'Slow down' } } } }]);
    expect(failed.error).toBe('rate_limit_exceeded: Slow down');
    expect(failed.model).toBe('gpt-4.1');
  });

  it('reports incomplete responses by their reason', () => {
    const rec = responses([{ event: 'response.incomplete', data: { type: 'response.incomplete', response: { object: 'response', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [] } } }]);
    expect(rec.error).toBeUndefined();
    expect(summarize('openai-responses', rec.response).finish_reason).toBe('max_output_tokens');
  });
});
