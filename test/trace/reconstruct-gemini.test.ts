import { describe, expect, it } from 'vitest';
import { reconstruct, summarize, type ReconstructInput } from '../../src/trace/reconstruct.js';
import { geminiChunks, geminiStream, scriptChunks } from '../fakes/index.js';

const PATH = '/v1beta/models/gemini-2.5-flash:streamGenerateContent';
function gemini(chunks: ReconstructInput['chunks'], endpoint = PATH) {
  return reconstruct({ endpoint, url: `${endpoint}?alt=sse`, request: { contents: [] }, requestHeaders: { 'x-goog-api-key': '[REDACTED]' }, status: 200, stream: true, chunks });
}

describe('Gemini reconstruction', () => {
  it('merges CRLF-framed slices into one candidate with joined text, finishReason and final usage', () => {
    const script = geminiStream({ text: 'The quick brown fox jumps over the lazy dog.', usage: { promptTokenCount: 8, candidatesTokenCount: 10 } });
    expect(script.frames[0]!.bytes.endsWith('\r\n\r\n')).toBe(true);
    const rec = gemini(scriptChunks(script));
    expect(rec.provider).toBe('gemini');
    expect(rec.model).toBe('gemini-2.5-flash');
    expect(rec.response).toEqual({
      candidates: [{ content: { parts: [{ text: 'The quick brown fox jumps over the lazy dog.' }], role: 'model' }, index: 0, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 10, totalTokenCount: 18 },
      modelVersion: 'gemini-2.5-flash',
      responseId: 'fakeResp123',
    });
    expect(rec.firstContentIndex).toBe(0);
    expect(summarize('gemini', rec.response)).toEqual({
      text: 'The quick brown fox jumps over the lazy dog.',
      tool_calls: [],
      finish_reason: 'STOP',
      usage: { input_tokens: 8, output_tokens: 10, total_tokens: 18 },
    });
  });

  it('keeps thoughts and function calls as their own parts', () => {
    const rec = gemini(geminiChunks({ thought: 'Weather needs a tool.', functionCalls: [{ name: 'get_weather', args: { city: 'Oslo' } }, { name: 'get_time', args: {} }] }).map((data) => ({ data })));
    expect((rec.response as any).candidates[0].content.parts).toEqual([
      { text: 'Weather needs a tool.', thought: true },
      { functionCall: { name: 'get_weather', args: { city: 'Oslo' } } },
      { functionCall: { name: 'get_time', args: {} } },
    ]);
    const s = summarize('gemini', rec.response);
    expect(s.text).toBe('');
    expect(s.reasoning).toBe('Weather needs a tool.');
    expect(s.tool_calls).toEqual([
      { name: 'get_weather', arguments: { city: 'Oslo' } },
      { name: 'get_time', arguments: {} },
    ]);
  });

  it('merges several candidates by index, and skips slices with only an empty part for first content', () => {
    const slice = (index: number, text: string, finishReason?: string) => ({ data: { candidates: [{ content: { parts: [{ text }], role: 'model' }, index, ...(finishReason ? { finishReason } : {}) }] } });
    const rec = gemini([slice(0, ''), slice(1, 'B1'), slice(0, 'A1'), slice(1, ' B2', 'STOP'), slice(0, ' A2', 'MAX_TOKENS')]);
    const c = (rec.response as any).candidates;
    expect(c.map((x: any) => [x.index, x.content.parts[0].text, x.finishReason])).toEqual([
      [0, 'A1 A2', 'MAX_TOKENS'],
      [1, 'B1 B2', 'STOP'],
    ]);
    expect(rec.firstContentIndex).toBe(1);
  });

  it('takes the model from the path (Vertex and tuned models too) when there is no modelVersion', () => {
    const chunks = [{ data: { candidates: [{ content: { parts: [{ text: 'x' }] } }] } }];
    expect(gemini(chunks, '/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash-001:streamGenerateContent').model).toBe('gemini-2.0-flash-001');
    expect(gemini(chunks, '/v1beta/tunedModels/my-tune:streamGenerateContent').model).toBe('my-tune');
  });

  it('merges the JSON-array body of a non-SSE stream, and keeps a generateContent body as it is', () => {
    const body = geminiChunks({ text: 'one two three four five' });
    const arr = reconstruct({ endpoint: PATH, request: {}, status: 200, stream: false, chunks: [], body });
    expect(summarize('gemini', arr.response).text).toBe('one two three four five');
    const single = { candidates: [{ content: { parts: [{ text: 'hi' }], role: 'model' }, finishReason: 'STOP' }], modelVersion: 'gemini-2.0-flash' };
    const rec = reconstruct({ endpoint: '/v1beta/models/gemini-2.0-flash:generateContent', request: {}, status: 200, stream: false, chunks: [], body: single });
    expect(rec).toEqual({ provider: 'gemini', model: 'gemini-2.0-flash', response: single, firstContentIndex: null });
  });

  it('reads Gemini error bodies and error events', () => {
    const err = { error: { code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED' } };
    expect(reconstruct({ endpoint: PATH, request: {}, status: 429, stream: false, chunks: [], body: [err] }).error).toBe('RESOURCE_EXHAUSTED: Resource has been exhausted');
    expect(gemini([{ data: err }]).error).toBe('RESOURCE_EXHAUSTED: Resource has been exhausted');
  });
});
