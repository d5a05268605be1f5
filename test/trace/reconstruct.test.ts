import { describe, expect, it } from 'vitest';
import { detectProvider, reconstruct, summarize } from '../../src/trace/reconstruct.js';
import type { Provider } from '../../src/trace/types.js';
import {
  anthropicStream,
  geminiStream,
  ollamaChatStream,
  openaiChatStream,
  openaiResponsesStream,
  scriptChunks,
  type Script,
} from '../fakes/index.js';

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    Object.values(v).forEach(deepFreeze);
    Object.freeze(v);
  }
  return v;
}

/** Writes to every object in the tree; throws if any of them is frozen (i.e. shared with the input). */
function touchAll(v: unknown): void {
  if (typeof v !== 'object' || v === null) return;
  Object.values(v).forEach(touchAll);
  (v as Record<string, unknown>)['__touched'] = true;
}

describe('detectProvider', () => {
  const cases: Array<[string, Record<string, string> | undefined, Provider]> = [
    ['/v1/chat/completions', undefined, 'openai'],
    ['/chat/completions', undefined, 'openai'],
    ['/openai/deployments/gpt-4o/chat/completions', undefined, 'openai'],
    ['/v1/completions', undefined, 'openai'],
    ['/v1/embeddings', undefined, 'openai'],
    ['/v1/responses', undefined, 'openai-responses'],
    ['/v1/responses/resp_123', undefined, 'openai-responses'],
    ['/v1/messages', undefined, 'anthropic'],
    ['/v1/messages/count_tokens', undefined, 'anthropic'],
    ['/v1/threads/thread_1/messages', undefined, 'unknown'],
    ['/v1beta/models/gemini-2.0-flash:streamGenerateContent', undefined, 'gemini'],
    ['/v1beta/models/gemini-2.0-flash:generateContent?key=x', undefined, 'gemini'],
    ['/v1/projects/p/locations/l/publishers/google/models/gemini-pro:generateContent', undefined, 'gemini'],
    ['/api/chat', undefined, 'ollama'],
    ['/api/generate', undefined, 'ollama'],
    ['/api/tags', undefined, 'ollama'],
    ['/v1/models', { 'anthropic-version': '2023-06-01' }, 'anthropic'],
    ['/v1beta/models', undefined, 'gemini'],
    ['/v1/models', undefined, 'openai'],
    ['/v1/whatever', { 'x-goog-api-key': '[REDACTED]' }, 'gemini'],
    ['/healthz', undefined, 'unknown'],
  ];
  it.each(cases)('%s %j -> %s', (path, headers, expected) => {
    expect(detectProvider(path, headers)).toBe(expected);
  });

  it('knows Anthropic on Vertex by its path, whatever the OpenAI path rules say', () => {
    for (const op of ['streamRawPredict', 'rawPredict']) expect(detectProvider(`/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-haiku-4-5@20251001:${op}`)).toBe('anthropic');
  });

  it('knows a protocol by its bodies when the path is not the provider\'s own', () => {
    expect(detectProvider('/proxy/predict', {}, { request: { anthropic_version: 'vertex-2023-10-16', messages: [] } })).toBe('anthropic');
    expect(detectProvider('/v1/models/x', {}, { chunks: [{ event: 'message_start', data: { type: 'message_start', message: {} } }] })).toBe('anthropic');
    expect(detectProvider('/gateway', {}, { chunks: [{ data: { type: 'response.created', response: {} } }] })).toBe('openai-responses');
    expect(detectProvider('/gateway', {}, { chunks: [{ data: { object: 'chat.completion.chunk', choices: [] } }] })).toBe('openai');
    expect(detectProvider('/gateway', {}, { chunks: [{ data: { candidates: [] } }] })).toBe('gemini');
    // Bedrock's invoke carries anthropic_version too, and stays Bedrock (its path is its own).
    expect(detectProvider('/model/m/invoke-with-response-stream', {}, { request: { anthropic_version: 'bedrock-2023-05-31' } })).toBe('bedrock');
  });
});

describe('OpenAI-compatible chat streams: vendor fields', () => {
  const chunk = (extra: Record<string, unknown>, choice: Record<string, unknown>) => ({ data: { id: 'c1', object: 'chat.completion.chunk', model: 'm', ...extra, choices: [{ index: 0, ...choice }] } });

  it('does not mix a cumulative message snapshot (Perplexity) into the message the deltas build', () => {
    const chunks = [
      chunk({}, { delta: { role: 'assistant', content: 'The' }, message: { role: 'assistant', content: 'The' } }),
      chunk({}, { delta: { content: ' answer' }, message: { role: 'assistant', content: 'The answer' }, finish_reason: 'stop' }),
    ];
    const rec = reconstruct({ endpoint: '/chat/completions', request: {}, status: 200, stream: true, chunks });
    expect(summarize(rec.provider, rec.response).text).toBe('The answer');
    expect((rec.response as { choices: Array<Record<string, unknown>> }).choices[0]!['message']).toEqual({ role: 'assistant', content: 'The answer', refusal: null });
  });

  it('keeps vendor fields and maps a usage block nested under a vendor key (x_groq.usage)', () => {
    const chunks = [
      chunk({ x_groq: { id: 'req_1' }, citations: ['https://a'] }, { delta: { role: 'assistant', content: 'hi' } }),
      chunk({ x_groq: { id: 'req_1', usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } }, citations: ['https://a'] }, { delta: {}, finish_reason: 'stop' }),
    ];
    const rec = reconstruct({ endpoint: '/openai/v1/chat/completions', request: {}, status: 200, stream: true, chunks });
    const r = rec.response as Record<string, unknown>;
    expect(r['x_groq']).toEqual({ id: 'req_1', usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } });
    expect(r['citations']).toEqual(['https://a']);
    expect(summarize(rec.provider, r).usage).toEqual({ input_tokens: 5, output_tokens: 2, total_tokens: 7 });
  });

  it('keeps an error event that cut the answer short beside the answer (Groq\'s failed_generation)', () => {
    const chunks = [chunk({}, { delta: { role: 'assistant', reasoning: 'thinking' } }), { data: { error: { message: 'Tool call validation failed', type: 'invalid_request_error', failed_generation: '{"x":1}' } } }];
    const rec = reconstruct({ endpoint: '/openai/v1/chat/completions', request: {}, status: 200, stream: true, chunks });
    expect((rec.response as Record<string, unknown>)['error']).toEqual({ message: 'Tool call validation failed', type: 'invalid_request_error', failed_generation: '{"x":1}' });
    expect(summarize(rec.provider, rec.response).reasoning).toBe('thinking');
  });

  it('takes the id and model from the first event that has them (Azure opens with empty ones)', () => {
    const chunks = [{ data: { id: '', object: '', model: '', choices: [], prompt_filter_results: [{ prompt_index: 0 }] } }, chunk({}, { delta: { content: 'x' }, finish_reason: 'stop' })];
    const rec = reconstruct({ endpoint: '/chat/completions', request: {}, status: 200, stream: true, chunks });
    expect([rec.model, (rec.response as { id: string }).id]).toEqual(['m', 'c1']);
    expect((rec.response as Record<string, unknown>)['prompt_filter_results']).toEqual([{ prompt_index: 0 }]);
  });
});

describe('generic reconstruction', () => {
  it('keeps a non-stream body and takes the model from the request', () => {
    const rec = reconstruct({ endpoint: '/custom/infer', request: { model: 'my-model' }, status: 200, stream: false, chunks: [], body: { output: 'hi' } });
    expect(rec).toEqual({ provider: 'unknown', model: 'my-model', response: { output: 'hi' }, firstContentIndex: null });
  });

  it('keeps a stream as the list of parsed data and reports an error payload', () => {
    const rec = reconstruct({
      endpoint: '/custom/stream',
      request: null,
      status: 200,
      stream: true,
      chunks: [{ event: 'open' }, { data: { token: 'a' } }, { data: 'plain' }, { data: { error: { message: 'boom' } } }],
    });
    expect(rec.response).toEqual([{ token: 'a' }, 'plain', { error: { message: 'boom' } }]);
    expect(rec.firstContentIndex).toBe(1);
    expect(rec.error).toBe('boom');
    expect(rec.model).toBeNull();
  });

  it('flags an error status even without a structured body', () => {
    expect(reconstruct({ endpoint: '/x', request: null, status: 503, stream: false, chunks: [] }).error).toBe('HTTP 503');
    expect(reconstruct({ endpoint: '/x', request: null, status: 200, stream: false, chunks: [] }).error).toBeUndefined();
  });
});

describe('summarize', () => {
  it('recognises known shapes behind unknown paths', () => {
    expect(summarize('unknown', { choices: [{ message: { content: 'hi' }, finish_reason: 'stop' }] })).toMatchObject({ text: 'hi', finish_reason: 'stop' });
    expect(summarize('unknown', { type: 'message', content: [{ type: 'text', text: 'yo' }], stop_reason: 'end_turn' })).toMatchObject({ text: 'yo', finish_reason: 'end_turn' });
    expect(summarize('unknown', { candidates: [{ content: { parts: [{ text: 'g' }] } }] }).text).toBe('g');
    expect(summarize('unknown', { object: 'response', output: [{ type: 'message', content: [{ type: 'output_text', text: 'r' }] }] }).text).toBe('r');
    expect(summarize('unknown', { message: { content: 'o' }, done: true }).text).toBe('o');
    expect(summarize('unknown', 'plain text').text).toBe('plain text');
  });

  it('never throws on junk, for every provider', () => {
    const providers: Provider[] = ['openai', 'openai-responses', 'anthropic', 'gemini', 'ollama', 'unknown'];
    for (const p of providers) {
      for (const junk of [null, undefined, 42, 'x', [], [1, null], { choices: 'no' }, { content: [null] }, { candidates: [{ content: { parts: [null, 3] } }] }]) {
        const s = summarize(p, junk);
        expect(s.tool_calls).toEqual([]);
        expect(typeof s.text).toBe('string');
      }
    }
  });

  it('keeps unparseable tool arguments as the raw string', () => {
    const s = summarize('openai', { choices: [{ message: { content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":' } }] } }] });
    expect(s.tool_calls).toEqual([{ id: 'c', name: 'f', arguments: '{"a":' }]);
    expect(s.text).toBe('');
  });
});

describe('reconstruct leaves its input alone', () => {
  const streams: Array<[string, Script]> = [
    ['/v1/chat/completions', openaiChatStream({ text: 'a b', toolCalls: [{ name: 'f', arguments: '{"x":1}' }], includeUsage: true })],
    ['/v1/responses', openaiResponsesStream({ text: 'a b', reasoningSummary: 'r', functionCalls: [{ name: 'f', arguments: '{}' }], omitCompleted: true })],
    ['/v1/messages', anthropicStream({ thinking: 't', text: 'a b', toolUse: { name: 'f', input: { x: 1 } } })],
    ['/v1beta/models/gemini-2.5-flash:streamGenerateContent', geminiStream({ text: 'a b c d e', functionCalls: [{ name: 'f', args: { x: 1 } }] })],
    ['/api/chat', ollamaChatStream({ text: 'a b', toolCalls: [{ name: 'f', arguments: { x: 1 } }] })],
    ['/custom', openaiChatStream({ text: 'a' })],
  ];
  it.each(streams)('%s: never mutates the chunks nor shares objects with them', (endpoint, script) => {
    const chunks = deepFreeze(scriptChunks(script));
    const rec = reconstruct({ endpoint, request: deepFreeze({ model: 'm' }), status: 200, stream: true, chunks });
    expect(rec.response).not.toBeNull();
    expect(() => touchAll(rec.response)).not.toThrow();
  });
});
