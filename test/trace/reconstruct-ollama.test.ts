import { describe, expect, it } from 'vitest';
import { reconstruct, summarize, type ReconstructInput } from '../../src/trace/reconstruct.js';
import { ollamaChatLines, ollamaChatStream, ollamaGenerateStream, scriptChunks } from '../fakes/index.js';

function ollama(endpoint: string, chunks: ReconstructInput['chunks']) {
  return reconstruct({ endpoint, request: { model: 'llama3.2', messages: [] }, status: 200, stream: true, chunks });
}

describe('Ollama reconstruction', () => {
  it('concatenates /api/chat content and keeps the done line fields', () => {
    const chunks = scriptChunks(ollamaChatStream({ text: 'Why is the sky blue?', thinking: 'Rayleigh.', evalCount: 5, promptEvalCount: 11 }));
    const rec = ollama('/api/chat', chunks);
    expect(rec.provider).toBe('ollama');
    expect(rec.model).toBe('llama3.2');
    const r = rec.response as any;
    expect(r.message).toEqual({ role: 'assistant', content: 'Why is the sky blue?', thinking: 'Rayleigh.' });
    expect(r).toMatchObject({ done: true, done_reason: 'stop', eval_count: 5, prompt_eval_count: 11, total_duration: 1_234_567_890, load_duration: 12_345_678 });
    expect(r.created_at).toBe((chunks.at(-1)!.data as any).created_at);
    expect(rec.firstContentIndex).toBe(0);
    expect(summarize('ollama', r)).toEqual({ text: 'Why is the sky blue?', tool_calls: [], finish_reason: 'stop', usage: { input_tokens: 11, output_tokens: 5, total_tokens: 16 }, reasoning: 'Rayleigh.' });
  });

  it('collects tool calls and skips empty lines for first content', () => {
    const lines = ollamaChatLines({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Toronto' } }] });
    const rec = ollama('/api/chat', [{ data: { model: 'llama3.2', message: { role: 'assistant', content: '' }, done: false } }, ...lines.map((data) => ({ data }))]);
    expect((rec.response as any).message.tool_calls).toEqual([{ function: { name: 'get_weather', arguments: { city: 'Toronto' } } }]);
    expect(rec.firstContentIndex).toBe(1);
    expect(summarize('ollama', rec.response).tool_calls).toEqual([{ name: 'get_weather', arguments: { city: 'Toronto' } }]);
  });

  it('concatenates /api/generate responses and keeps context from the done line', () => {
    const rec = ollama('/api/generate', scriptChunks(ollamaGenerateStream({ text: 'Once upon a time', doneReason: 'length' })));
    expect(rec.response).toMatchObject({ response: 'Once upon a time', done: true, done_reason: 'length', context: [1, 2, 3] });
    expect(summarize('ollama', rec.response)).toMatchObject({ text: 'Once upon a time', finish_reason: 'length' });
  });

  it('reports an error line, and keeps a cut stream without a done line', () => {
    const lines = ollamaChatLines({ text: 'a b c' }).slice(0, 2).map((data) => ({ data }));
    const rec = ollama('/api/chat', [...lines, { data: { error: 'model runner has unexpectedly stopped' } }]);
    expect(rec.error).toBe('model runner has unexpectedly stopped');
    expect((rec.response as any).message.content).toBe('a b');
    expect((rec.response as any).done).toBe(false);
  });

  it('keeps progress streams (/api/pull) as the list of lines', () => {
    const data = [{ status: 'pulling manifest' }, { status: 'success' }];
    const rec = ollama('/api/pull', data.map((d) => ({ data: d })));
    expect(rec.response).toEqual(data);
    expect(rec.model).toBe('llama3.2');
  });
});
