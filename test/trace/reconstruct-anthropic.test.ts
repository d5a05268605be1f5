import { describe, expect, it } from 'vitest';
import { reconstruct, summarize, type ReconstructInput } from '../../src/trace/reconstruct.js';
import { anthropicStream, buildAnthropicEvents, loadAnthropicFixture, scriptChunks } from '../fakes/index.js';

function messages(chunks: ReconstructInput['chunks'], status = 200) {
  return reconstruct({ endpoint: '/v1/messages', request: { model: 'claude-x', stream: true }, requestHeaders: { 'anthropic-version': '2023-06-01' }, status, stream: true, chunks });
}
/** Through the SSE framing the fake writes, as the recorder would see it. */
const framed = (events: Array<Record<string, unknown> & { type: string }>) => scriptChunks(anthropicStream(events));

describe('Anthropic reconstruction from real captured streams', () => {
  it('rebuilds the text fixture: text, stop_reason and usage merged from message_delta', () => {
    const rec = messages(framed(loadAnthropicFixture('text')));
    expect(rec.provider).toBe('anthropic');
    expect(rec.model).toBe('claude-sonnet-4-5-20250929');
    expect(rec.error).toBeUndefined();
    const msg = rec.response as any;
    expect(msg).toMatchObject({ id: 'msg_01QC4g3HwBThD4BaNtBckFDJ', type: 'message', role: 'assistant', stop_reason: 'end_turn', stop_sequence: null });
    expect(msg.content).toEqual([{ type: 'text', text: "Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?" }]);
    // message_start said output_tokens 1; message_delta's final count wins, other fields survive.
    expect(msg.usage).toMatchObject({ input_tokens: 12, output_tokens: 30, service_tier: 'standard', cache_creation: { ephemeral_5m_input_tokens: 0 } });
    // Index 0 is message_start, 1 the empty block start, 2 a ping: the first text delta is 3.
    expect(rec.firstContentIndex).toBe(3);
    expect(summarize('anthropic', msg)).toEqual({
      text: "Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?",
      tool_calls: [],
      finish_reason: 'end_turn',
      usage: { input_tokens: 12, output_tokens: 30, total_tokens: 42 },
    });
  });

  it('rebuilds the tool-use fixture: input assembled from partial_json and parsed', () => {
    const rec = messages(framed(loadAnthropicFixture('tool-use')));
    const msg = rec.response as any;
    expect(msg.content).toEqual([
      { type: 'tool_use', id: 'toolu_01KFbKqPYSuAKujiL6mTfzYA', name: 'json', input: { elements: [{ location: 'San Francisco', temperature: 58, condition: 'sunny' }] } },
    ]);
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.usage.output_tokens).toBe(47);
    // The tool_use block start names the tool: that is the first content.
    expect(rec.firstContentIndex).toBe(1);
    expect(summarize('anthropic', msg).tool_calls).toEqual([
      { id: 'toolu_01KFbKqPYSuAKujiL6mTfzYA', name: 'json', arguments: { elements: [{ location: 'San Francisco', temperature: 58, condition: 'sunny' }] } },
    ]);
  });
});

describe('Anthropic reconstruction of built streams', () => {
  it('keeps thinking with its signature apart from text and tool use, in block order', () => {
    const rec = messages(scriptChunks(anthropicStream({ thinking: 'Let me check.', text: 'Checking now.', toolUse: { name: 'lookup', input: { q: 'x', n: [1, 2] } } })));
    const msg = rec.response as any;
    expect(msg.content).toEqual([
      { type: 'thinking', thinking: 'Let me check.', signature: 'EqQBCgIYAhIM' },
      { type: 'text', text: 'Checking now.' },
      { type: 'tool_use', id: 'toolu_fake1', name: 'lookup', input: { q: 'x', n: [1, 2] } },
    ]);
    expect(summarize('anthropic', msg)).toMatchObject({ text: 'Checking now.', reasoning: 'Let me check.', finish_reason: 'tool_use' });
    expect(rec.firstContentIndex).toBe(3);
  });

  it('reports an error event after a 200 and keeps what streamed before it', () => {
    const rec = messages(scriptChunks(anthropicStream({ text: 'Partial answer', error: { type: 'overloaded_error', message: 'Overloaded' } })));
    expect(rec.error).toBe('overloaded_error: Overloaded');
    expect((rec.response as any).content[0].text).toBe('Partial answer');
    expect((rec.response as any).stop_reason).toBeNull();
  });

  it('keeps the raw JSON text of a tool input cut mid-stream', () => {
    const events = buildAnthropicEvents({ toolUse: { name: 'f', input: { city: 'Paris' } } });
    // Stop before the last input_json_delta and the block stop, as a dropped connection would.
    const cut = events.slice(0, events.findIndex((e) => e.type === 'content_block_stop') - 1);
    const rec = messages(framed(cut));
    const input = (rec.response as any).content[0].input;
    expect(input).toBe('{"city":"Par');
    expect(summarize('anthropic', rec.response).tool_calls[0]!.arguments).toBe(input);
  });

  it('treats an error event with no message_start as the response', () => {
    const rec = messages([{ event: 'error', data: { type: 'error', error: { type: 'api_error', message: 'Internal server error' } } }]);
    expect(rec.error).toBe('api_error: Internal server error');
    expect(rec.response).toEqual({ type: 'error', error: { type: 'api_error', message: 'Internal server error' } });
    expect(rec.model).toBe('claude-x');
    expect(rec.firstContentIndex).toBeNull();
  });

  it('reads non-stream messages and error bodies', () => {
    const body = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [{ type: 'text', text: 'Hi' }], stop_reason: 'end_turn', usage: { input_tokens: 3, output_tokens: 1 } };
    const ok = reconstruct({ endpoint: '/v1/messages', request: null, status: 200, stream: false, chunks: [], body });
    expect(ok).toEqual({ provider: 'anthropic', model: 'claude-haiku-4-5', response: body, firstContentIndex: null });
    const overloaded = reconstruct({ endpoint: '/v1/messages', request: null, status: 529, stream: false, chunks: [], body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } });
    expect(overloaded.error).toBe('overloaded_error: Overloaded');
  });
});
