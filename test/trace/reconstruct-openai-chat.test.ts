import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reconstruct, summarize, type ReconstructInput } from '../../src/trace/reconstruct.js';
import { openaiChatChunks, openaiChatStream, scriptChunks } from '../fakes/index.js';

const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1700000000, model: 'gpt-4o-2024-08-06', system_fingerprint: 'fp_1' };
const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({ data: { ...base, choices, ...extra } });
const delta = (index: number, d: Record<string, unknown>, finish: string | null = null) => ({ index, delta: d, logprobs: null, finish_reason: finish });
const DONE = { data: '[DONE]' };

function chat(chunks: ReconstructInput['chunks'], request: unknown = { model: 'gpt-4o', stream: true }) {
  return reconstruct({ endpoint: '/v1/chat/completions', request, status: 200, stream: true, chunks });
}

describe('OpenAI chat reconstruction', () => {
  it('rebuilds a chat.completion from a scripted stream and ignores [DONE]', () => {
    const chunks = scriptChunks(openaiChatStream({ text: 'The sky is blue.', model: 'gpt-4o-mini-2024-07-18' }));
    expect(chunks.at(-1)).toEqual({ data: '[DONE]' });
    const rec = chat(chunks);
    expect(rec.provider).toBe('openai');
    expect(rec.model).toBe('gpt-4o-mini-2024-07-18');
    expect(rec.error).toBeUndefined();
    expect(rec.response).toEqual({
      id: 'chatcmpl-fake123',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'gpt-4o-mini-2024-07-18',
      system_fingerprint: 'fp_fake',
      choices: [{ index: 0, message: { role: 'assistant', content: 'The sky is blue.', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: null,
    });
  });

  it('merges interleaved parallel tool calls by index; name and id come from the first delta', () => {
    const rec = chat([
      chunk([delta(0, { role: 'assistant', content: null, refusal: null })]),
      chunk([delta(0, { tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] })]),
      chunk([delta(0, { tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"tz"' } }] })]),
      chunk([delta(0, { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] })]),
      chunk([delta(0, { tool_calls: [{ index: 1, function: { arguments: ':"UTC"}' } }, { index: 0, function: { arguments: '"Paris"}' } }] })]),
      chunk([delta(0, {}, 'tool_calls')]),
      DONE,
    ]);
    const message = (rec.response as any).choices[0].message;
    expect(message.content).toBeNull();
    expect(message.tool_calls).toEqual([
      { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"tz":"UTC"}' } },
    ]);
    expect((rec.response as any).choices[0].finish_reason).toBe('tool_calls');
    expect(rec.firstContentIndex).toBe(1);
    const s = summarize('openai', rec.response);
    expect(s.tool_calls).toEqual([
      { id: 'call_a', name: 'get_weather', arguments: { city: 'Paris' } },
      { id: 'call_b', name: 'get_time', arguments: { tz: 'UTC' } },
    ]);
    expect(s.finish_reason).toBe('tool_calls');
  });

  it('keeps n>1 choices apart by their index, even when they arrive out of order', () => {
    const rec = chat(scriptChunks(openaiChatStream({ choices: [{ text: 'one two three' }, { text: 'alpha beta' }, { text: 'x', finishReason: 'length' }] })));
    const choices = (rec.response as any).choices;
    expect(choices.map((c: any) => [c.index, c.message.content, c.finish_reason])).toEqual([
      [0, 'one two three', 'stop'],
      [1, 'alpha beta', 'stop'],
      [2, 'x', 'length'],
    ]);
    const reversed = chat([chunk([delta(1, { content: 'B' })]), chunk([delta(0, { content: 'A' })]), chunk([delta(1, { content: 'b' })])]);
    expect((reversed.response as any).choices.map((c: any) => c.message.content)).toEqual(['A', 'Bb']);
  });

  it('takes usage from the final include_usage chunk, not the null usage on every other chunk', () => {
    const chunks = scriptChunks(openaiChatStream({ text: 'hi', includeUsage: true, usage: { prompt_tokens: 5, completion_tokens: 2 } }));
    expect((chunks[1]!.data as any).usage).toBeNull();
    const rec = chat(chunks);
    expect((rec.response as any).usage).toEqual({ prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
    expect(summarize('openai', rec.response).usage).toEqual({ input_tokens: 5, output_tokens: 2, total_tokens: 7 });
  });

  it('concatenates logprobs, refusal and extension fields such as reasoning_content', () => {
    const lp = (token: string) => ({ token, logprob: -0.1, bytes: null, top_logprobs: [] });
    const rec = chat([
      chunk([delta(0, { role: 'assistant', reasoning_content: 'think ' })]),
      chunk([delta(0, { reasoning_content: 'hard' })]),
      chunk([{ index: 0, delta: { content: 'Hi' }, logprobs: { content: [lp('Hi')], refusal: null }, finish_reason: null }]),
      chunk([{ index: 0, delta: { content: '!' }, logprobs: { content: [lp('!')], refusal: null }, finish_reason: 'stop' }]),
    ]);
    const choice = (rec.response as any).choices[0];
    expect(choice.message).toEqual({ role: 'assistant', content: 'Hi!', refusal: null, reasoning_content: 'think hard' });
    expect(choice.logprobs.content.map((t: any) => t.token)).toEqual(['Hi', '!']);
    expect(summarize('openai', rec.response).reasoning).toBe('think hard');
    expect(rec.firstContentIndex).toBe(0);

    const refused = chat([chunk([delta(0, { role: 'assistant', refusal: '' })]), chunk([delta(0, { refusal: "I can't" })]), chunk([delta(0, { refusal: ' help.' })])]);
    expect((refused.response as any).choices[0].message).toMatchObject({ content: null, refusal: "I can't help." });
    expect(refused.firstContentIndex).toBe(1);
  });

  it('skips the role-only and empty-content chunks when finding the first content', () => {
    const rec = chat([chunk([delta(0, { role: 'assistant', content: '', refusal: null })]), chunk([delta(0, { content: '' })]), chunk([delta(0, { content: 'Hi' })])]);
    expect(rec.firstContentIndex).toBe(2);
    expect(chat([chunk([delta(0, { role: 'assistant' })]), DONE]).firstContentIndex).toBeNull();
  });

  it('falls back to request.model and reports an error event that arrived after a 200', () => {
    const rec = chat(
      [{ data: { choices: [{ index: 0, delta: { content: 'par' } }] } }, { data: { error: { message: 'The server had an error', type: 'server_error', code: null } } }],
      { model: 'my-deployment' },
    );
    expect(rec.model).toBe('my-deployment');
    expect(rec.error).toBe('server_error: The server had an error');
    expect((rec.response as any).choices[0].message.content).toBe('par');
  });

  it('rebuilds what arrived before a cut and ignores an unparsed partial frame', () => {
    const chunks = scriptChunks(openaiChatStream({ text: 'one two three four' })).slice(0, 3);
    const rec = chat([...chunks, { data: '{"id":"chatcmpl-fake123","choi' }]);
    expect((rec.response as any).choices[0]).toMatchObject({ message: { content: 'one two' }, finish_reason: null });
  });

  it('keeps non-stream bodies as they are and reads errors from them', () => {
    const body = { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1] }], model: 'text-embedding-3-small', usage: { prompt_tokens: 2, total_tokens: 2 } };
    const emb = reconstruct({ endpoint: '/v1/embeddings', request: { model: 'x' }, status: 200, stream: false, chunks: [], body });
    expect(emb).toEqual({ provider: 'openai', model: 'text-embedding-3-small', response: body, firstContentIndex: null });
    const limited = reconstruct({
      endpoint: '/v1/chat/completions',
      request: { model: 'gpt-4o' },
      status: 429,
      stream: false,
      chunks: [],
      body: { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } },
    });
    expect(limited.error).toBe('requests: Rate limit reached');
    expect(limited.model).toBe('gpt-4o');
    const html = reconstruct({ endpoint: '/v1/chat/completions', request: null, status: 502, stream: false, chunks: [], body: '<html>Bad gateway</html>' });
    expect(html.error).toBe('HTTP 502: <html>Bad gateway</html>');
  });

  it('rebuilds legacy text completions, streamed or not', () => {
    const chunks = ['Once', ' upon', ' a time'].map((text, i) => ({ data: { id: 'cmpl-1', object: 'text_completion', created: 1, model: 'gpt-3.5-turbo-instruct', choices: [{ text, index: 0, logprobs: null, finish_reason: i === 2 ? 'length' : null }] } }));
    const rec = reconstruct({ endpoint: '/v1/completions', request: { model: 'gpt-3.5-turbo-instruct' }, status: 200, stream: true, chunks: [...chunks, DONE] });
    expect(rec.response).toMatchObject({ object: 'text_completion', choices: [{ text: 'Once upon a time', index: 0, finish_reason: 'length' }] });
    expect(summarize('openai', rec.response)).toMatchObject({ text: 'Once upon a time', finish_reason: 'length' });
    expect(rec.firstContentIndex).toBe(0);
  });

  it('works under any path prefix (Azure deployments, gateways)', () => {
    const rec = reconstruct({ endpoint: '/openai/deployments/gpt4/chat/completions', request: null, status: 200, stream: true, chunks: [chunk([delta(0, { content: 'ok' })])] });
    expect(rec.provider).toBe('openai');
    expect((rec.response as any).choices[0].message.content).toBe('ok');
  });

  it('gets text and tool arguments back however they were split into deltas (property)', () => {
    const pieces = (s: string) => fc.array(fc.nat(s.length), { maxLength: 12 }).map((cuts) => {
      const points = [...new Set([0, ...cuts, s.length])].sort((a, b) => a - b);
      return points.slice(1).map((p, i) => s.slice(points[i], p));
    });
    const arb = fc
      .record({ text: fc.string({ unit: 'grapheme', maxLength: 80 }), args: fc.array(fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify({ v })), { maxLength: 3 }) })
      .chain(({ text, args }) => fc.tuple(fc.constant(text), pieces(text), fc.constant(args), fc.tuple(...args.map(pieces))));
    fc.assert(
      fc.property(arb, ([text, textPieces, args, argPieces]) => {
        const chunks = openaiChatChunks({
          text: textPieces,
          toolCalls: args.map((_, i) => ({ id: `call_${i}`, name: `fn_${i}`, arguments: argPieces[i]! })),
        }).map((data) => ({ data }));
        const s = summarize('openai', chat(chunks).response);
        expect(s.text).toBe(text);
        const message = (chat(chunks).response as any).choices[0].message;
        expect((message.tool_calls ?? []).map((t: any) => t.function.arguments)).toEqual(args);
        expect(s.tool_calls.map((t) => t.arguments)).toEqual(args.map((a) => JSON.parse(a)));
      }),
      { numRuns: 200 },
    );
  });
});
