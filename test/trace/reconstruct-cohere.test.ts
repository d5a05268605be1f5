/**
 * Cohere chat reconstruction: the captured v2 tool-call stream, synthetic v2 text/citation/thinking
 * streams, a v1 stream, and the official `cohere-ai` SDK (v8, CohereClientV2) run offline against a
 * fake upstream: its `chatStream` reads the captured bytes, its `chat` reads our rebuilt response.
 */
import { createServer, type Server } from 'node:http';
import { CohereClientV2 } from 'cohere-ai';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { detectProvider, reconstruct, summarize, type StreamChunk } from '../../src/trace/reconstruct.js';
import { loadCaptured } from '../providers/captured.js';

const v2 = (chunks: StreamChunk[], request: unknown = { model: 'command-a-03-2025', stream: true }) => reconstruct({ endpoint: '/v2/chat', request, status: 200, stream: true, chunks });
const ev = (data: Record<string, unknown>): StreamChunk => ({ event: String(data['type']), data });

describe('Cohere detection', () => {
  it('detects /v2/chat and /v1/chat, not OpenAI chat completions', () => {
    expect(detectProvider('/v2/chat')).toBe('cohere');
    expect(detectProvider('/v1/chat')).toBe('cohere');
    expect(detectProvider('/v1/chat/completions')).toBe('openai');
  });
});

describe('Cohere v2 chat stream', () => {
  it('the captured tool-call stream: weather and cityAttractions with their arguments, TOOL_CALL, usage, the tool plan', () => {
    const cap = loadCaptured('cohere-tool-call');
    expect(cap.input.chunks).toHaveLength(47);
    const rec = reconstruct(cap.input);
    expect(rec.provider).toBe('cohere');
    expect(rec.model).toBe('command-r');
    expect(rec.error).toBeUndefined();
    expect(rec.firstContentIndex).toBe(1);
    const r = rec.response as any;
    expect(r.id).toBe('2941521a-b87a-45f6-9b0d-235fd66c3025');
    expect(r.finish_reason).toBe('TOOL_CALL');
    expect(r.message.tool_plan).toBe('I will use the weather tool to find the weather in San Francisco and the cityAttractions tool to find attractions in San Francisco.');
    expect(r.message.tool_calls).toEqual([
      { id: 'weather_e8p4pn45zt0t', type: 'function', function: { name: 'weather', arguments: '{"location": "San Francisco"}' } },
      { id: 'cityAttractions_pyxssbwnq9fq', type: 'function', function: { name: 'cityAttractions', arguments: '{"city": "San Francisco"}' } },
    ]);
    expect(r.usage).toEqual({ billed_units: { input_tokens: 119, output_tokens: 44 }, tokens: { input_tokens: 1549, output_tokens: 95 }, cached_tokens: 1504 });
    const s = summarize('cohere', r);
    expect(s.tool_calls).toEqual([
      { id: 'weather_e8p4pn45zt0t', name: 'weather', arguments: { location: 'San Francisco' } },
      { id: 'cityAttractions_pyxssbwnq9fq', name: 'cityAttractions', arguments: { city: 'San Francisco' } },
    ]);
    expect(s.finish_reason).toBe('TOOL_CALL');
    expect(s.usage).toEqual({ input_tokens: 1549, output_tokens: 95, total_tokens: 1644 });
    expect(s.reasoning).toBe(r.message.tool_plan);
  });

  it('text and thinking content by index, citations, over any split of the text', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 5 }), { minLength: 1, maxLength: 8 }), fc.array(fc.string({ maxLength: 5 }), { maxLength: 4 }), (texts, thoughts) => {
        const chunks: StreamChunk[] = [ev({ type: 'message-start', id: 'm1', delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } } })];
        let i = 0;
        if (thoughts.length) {
          chunks.push(ev({ type: 'content-start', index: i, delta: { message: { content: { type: 'thinking', thinking: '' } } } }));
          for (const t of thoughts) chunks.push(ev({ type: 'content-delta', index: i, delta: { message: { content: { thinking: t } } } }));
          chunks.push(ev({ type: 'content-end', index: i++ }));
        }
        chunks.push(ev({ type: 'content-start', index: i, delta: { message: { content: { type: 'text', text: '' } } } }));
        for (const t of texts) chunks.push(ev({ type: 'content-delta', index: i, delta: { message: { content: { text: t } } } }));
        chunks.push(ev({ type: 'citation-start', index: 0, delta: { message: { citations: { start: 0, end: 1, text: 'x', sources: [], type: 'TEXT_CONTENT' } } } }));
        chunks.push(ev({ type: 'citation-end', index: 0 }));
        chunks.push(ev({ type: 'content-end', index: i }));
        chunks.push(ev({ type: 'message-end', delta: { finish_reason: 'COMPLETE', usage: { billed_units: { input_tokens: 2, output_tokens: 3 }, tokens: { input_tokens: 4, output_tokens: 5 } } } }));
        const r = v2(chunks).response as any;
        const content = [...(thoughts.length ? [{ type: 'thinking', thinking: thoughts.join('') }] : []), { type: 'text', text: texts.join('') }];
        expect(r).toEqual({
          id: 'm1',
          message: { role: 'assistant', content, citations: [{ start: 0, end: 1, text: 'x', sources: [], type: 'TEXT_CONTENT' }] },
          finish_reason: 'COMPLETE',
          usage: { billed_units: { input_tokens: 2, output_tokens: 3 }, tokens: { input_tokens: 4, output_tokens: 5 } },
        });
        const s = summarize('cohere', r);
        expect(s.text).toBe(texts.join(''));
        expect(s.reasoning ?? '').toBe(thoughts.join(''));
      }),
    );
  });

  it('v1 stream: the stream-end response is the rebuilt response', () => {
    const response = { response_id: 'r1', text: 'Hello!', generation_id: 'g1', finish_reason: 'COMPLETE', meta: { billed_units: { input_tokens: 3, output_tokens: 2 } } };
    const rec = reconstruct({
      endpoint: '/v1/chat',
      request: { model: 'command-r', message: 'hi', stream: true },
      status: 200,
      stream: true,
      chunks: [
        { data: { is_finished: false, event_type: 'stream-start', generation_id: 'g1' } },
        { data: { is_finished: false, event_type: 'text-generation', text: 'Hello' } },
        { data: { is_finished: false, event_type: 'text-generation', text: '!' } },
        { data: { is_finished: true, event_type: 'stream-end', finish_reason: 'COMPLETE', response } },
      ],
    });
    expect(rec.response).toEqual(response);
    expect(rec.firstContentIndex).toBe(1);
    expect(summarize('cohere', rec.response)).toEqual({ text: 'Hello!', tool_calls: [], finish_reason: 'COMPLETE', usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 } });
  });
});

describe('Cohere v1 recorded without framing', () => {
  it('a v1 stream served as application/stream+json (not framed, kept raw) is read line by line', () => {
    const lines = [
      { is_finished: false, event_type: 'stream-start', generation_id: 'g2' },
      { is_finished: false, event_type: 'text-generation', text: 'Checking' },
      { is_finished: false, event_type: 'tool-calls-generation', tool_calls: [{ name: 'lookup', parameters: { q: 'x' } }] },
      { is_finished: true, event_type: 'stream-end', finish_reason: 'COMPLETE' },
    ];
    const rec = reconstruct({ endpoint: '/v1/chat', request: { model: 'command-r' }, status: 200, stream: false, chunks: [], body: lines.map((l) => JSON.stringify(l)).join('\n') + '\n' });
    expect(rec.provider).toBe('cohere');
    expect(rec.response).toEqual({ text: 'Checking', generation_id: 'g2', finish_reason: 'COMPLETE', tool_calls: [{ name: 'lookup', parameters: { q: 'x' } }] });
    expect(summarize('cohere', rec.response)).toEqual({ text: 'Checking', tool_calls: [{ name: 'lookup', arguments: { q: 'x' } }], finish_reason: 'COMPLETE', usage: null });
  });
});

describe('the official cohere-ai SDK, offline against a fake upstream', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));
  async function serve(type: string, body: Buffer | string): Promise<CohereClientV2> {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': type });
        res.end(body);
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as { port: number };
    return new CohereClientV2({ token: 'fake-key', environment: `http://127.0.0.1:${port}` });
  }

  it('chatStream yields the 47 events we parse; what they add up to is what we rebuild', async () => {
    const cap = loadCaptured('cohere-tool-call');
    const client = await serve('text/event-stream', cap.body);
    const stream = await client.chatStream({ model: 'command-r', messages: [{ role: 'user', content: 'weather in SF?' }] });
    const types: string[] = [];
    let plan = '';
    const calls = new Map<number, { id?: string; name?: string; args: string }>();
    let finish: string | undefined;
    let tokens: { inputTokens?: number; outputTokens?: number } | undefined;
    // The SDK yields parsed (camelCased) events and assembles nothing itself: add them up here.
    for await (const e of stream as AsyncIterable<any>) {
      types.push(e.type);
      if (e.type === 'tool-plan-delta') plan += e.delta?.message?.toolPlan ?? '';
      if (e.type === 'tool-call-start' || e.type === 'tool-call-delta') {
        const c = calls.get(e.index) ?? { args: '' };
        const tc = e.delta?.message?.toolCalls;
        c.id ??= tc?.id;
        c.name ??= tc?.function?.name;
        c.args += tc?.function?.arguments ?? '';
        calls.set(e.index, c);
      }
      if (e.type === 'message-end') {
        finish = e.delta?.finishReason;
        tokens = e.delta?.usage?.tokens;
      }
    }
    expect(types).toEqual(cap.input.chunks.map((c) => c.event));
    const ours = reconstruct(cap.input).response as any;
    expect(ours.message.tool_plan).toBe(plan);
    expect(ours.message.tool_calls.map((t: any) => ({ id: t.id, name: t.function.name, args: t.function.arguments }))).toEqual([...calls.values()]);
    expect(ours.finish_reason).toBe(finish);
    expect(ours.usage.tokens).toEqual({ input_tokens: tokens?.inputTokens, output_tokens: tokens?.outputTokens });
  });

  it('chat (non-stream) parses our rebuilt response as a v2 chat response', async () => {
    const ours = reconstruct(loadCaptured('cohere-tool-call').input).response as any;
    const client = await serve('application/json', JSON.stringify(ours));
    const sdk = (await client.chat({ model: 'command-r', messages: [{ role: 'user', content: 'weather in SF?' }] })) as any;
    expect(sdk.id).toBe(ours.id);
    expect(sdk.finishReason).toBe('TOOL_CALL');
    expect(sdk.message.toolPlan).toBe(ours.message.tool_plan);
    expect(sdk.message.toolCalls.map((t: any) => t.function.name)).toEqual(['weather', 'cityAttractions']);
    expect(sdk.usage.tokens).toEqual({ inputTokens: 1549, outputTokens: 95 });
  });
});
