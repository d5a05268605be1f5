/**
 * The field merge rules for extension fields of OpenAI-compatible chat streams (merge.ts), as
 * properties over random splits of the streamed text, and on the streams Groq, OpenRouter, Mistral
 * and DeepSeek really sent.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLabelKey, mergeObject } from '../../src/trace/providers/merge.js';
import { reconstruct, summarize, type StreamChunk } from '../../src/trace/reconstruct.js';
import { loadCaptured } from '../providers/captured.js';

const chunk = (delta: Record<string, unknown>, finish: string | null = null): StreamChunk => ({
  data: { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] },
});
const chat = (chunks: StreamChunk[]) => reconstruct({ endpoint: '/v1/chat/completions', request: null, status: 200, stream: true, chunks });
const message = (chunks: StreamChunk[]) => (chat(chunks).response as { choices: Array<{ message: Record<string, unknown> }> }).choices[0]!.message;

/** A text cut into 1-8 pieces at random places (pieces may be empty). */
const pieces = fc.tuple(fc.string({ maxLength: 40 }), fc.array(fc.nat(), { maxLength: 7 })).map(([text, cuts]) => {
  const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const c of [...at, text.length]) {
    out.push(text.slice(prev, c));
    prev = c;
  }
  return { text, pieces: out };
});

describe('merge rules for streamed extension fields', () => {
  it('text fields concatenate and labels repeated on every delta are kept once (Groq channel)', () => {
    fc.assert(
      fc.property(pieces, pieces, fc.constantFrom('analysis', 'commentary', 'final'), (reasoning, content, channel) => {
        const chunks = [chunk({ role: 'assistant', content: '' })];
        for (const p of reasoning.pieces) chunks.push(chunk({ reasoning: p, channel }));
        for (const p of content.pieces) chunks.push(chunk({ content: p, channel }));
        const m = message(chunks);
        expect(m['reasoning'] ?? '').toBe(reasoning.text);
        expect(m['content']).toBe(content.text);
        expect(m['channel']).toBe(channel);
        expect(m['role']).toBe('assistant');
      }),
    );
  });

  it('arrays of parts merge by index: the text of each index concatenates, empty arrays and nulls erase nothing (OpenRouter reasoning_details)', () => {
    const item = fc.record({ index: fc.nat({ max: 3 }), text: fc.string({ maxLength: 6 }), empty: fc.boolean() });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 30 }), (items) => {
        const chunks: StreamChunk[] = [];
        const expected = new Map<number, string>();
        for (const it of items) {
          expected.set(it.index, (expected.get(it.index) ?? '') + it.text);
          chunks.push(chunk({ reasoning: null, reasoning_details: [{ type: 'reasoning.text', text: it.text, format: 'anthropic-claude-v1', index: it.index }] }));
          if (it.empty) chunks.push(chunk({ reasoning_details: [] }));
        }
        chunks.push(chunk({ reasoning_details: [] }, 'stop'));
        const details = message(chunks)['reasoning_details'] as Array<Record<string, unknown>>;
        expect(new Map(details.map((d) => [d['index'] as number, d['text'] as string]))).toEqual(expected);
        for (const d of details) expect(d['format']).toBe('anthropic-claude-v1');
        expect(details.map((d) => d['type'])).toEqual(details.map(() => 'reasoning.text'));
      }),
    );
  });

  it('content part arrays append: adjacent parts of one type merge, thinking and answer stay apart (Mistral)', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('thinking' as const), text: fc.string({ minLength: 1, maxLength: 6 }) }),
      fc.record({ kind: fc.constant('text' as const), text: fc.string({ minLength: 1, maxLength: 6 }) }),
      fc.record({ kind: fc.constant('string' as const), text: fc.string({ maxLength: 6 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 25 }), (steps) => {
        const chunks = [chunk({ role: 'assistant', content: '' })];
        for (const s of steps) {
          if (s.kind === 'thinking') chunks.push(chunk({ content: [{ type: 'thinking', thinking: [{ type: 'text', text: s.text }] }] }));
          else if (s.kind === 'text') chunks.push(chunk({ content: [{ type: 'text', text: s.text }] }));
          else chunks.push(chunk({ content: s.text }));
        }
        const rec = chat(chunks);
        const summary = summarize('openai', rec.response);
        const thinking = steps.filter((s) => s.kind === 'thinking').map((s) => s.text).join('');
        const answer = steps.filter((s) => s.kind !== 'thinking').map((s) => s.text).join('');
        expect(summary.reasoning ?? '').toBe(thinking);
        expect(summary.text).toBe(answer);
        const content = message(chunks)['content'];
        if (!steps.some((s) => s.kind !== 'string')) {
          expect(content).toBe(answer);
          return;
        }
        // One part per run of the same kind (a bare string is a text part), none empty.
        const runs: string[] = [];
        for (const s of steps) {
          const kind = s.kind === 'thinking' ? 'thinking' : 'text';
          if (s.kind === 'string' && s.text === '') continue;
          if (runs.at(-1) !== kind) runs.push(kind);
        }
        expect((content as Array<{ type: string }>).map((p) => p.type)).toEqual(runs);
      }),
    );
  });

  it('whole items of other arrays (annotations) append one by one, even of one type', () => {
    const citation = fc.record({ type: fc.constant('url_citation'), url_citation: fc.record({ url: fc.webUrl(), start_index: fc.nat(), end_index: fc.nat() }) });
    fc.assert(
      fc.property(fc.array(fc.array(citation, { maxLength: 3 }), { maxLength: 6 }), (batches) => {
        const chunks = [chunk({ role: 'assistant', content: 'x' }), ...batches.map((b) => chunk({ annotations: b }))];
        expect(message(chunks)['annotations'] ?? []).toEqual(batches.flat());
      }),
    );
  });

  it('a label keeps its last non-empty value; an empty string or null never erases it', () => {
    fc.assert(
      fc.property(fc.constantFrom('id', 'type', 'channel', 'name', 'format', 'signature', 'tool_call_id'), fc.array(fc.option(fc.constantFrom<string>('', 'a', 'bc')), { maxLength: 10 }), (key, values) => {
        const target: Record<string, unknown> = {};
        for (const v of values) mergeObject(target, { [key]: v });
        const nonEmpty = values.filter((v): v is string => typeof v === 'string' && v !== '');
        const strings = values.filter((v): v is string => typeof v === 'string');
        expect(target[key]).toBe(nonEmpty.at(-1) ?? (strings.length ? '' : undefined));
      }),
    );
  });

  it('classifies field names: streamed text versus labels', () => {
    for (const k of ['content', 'reasoning', 'reasoning_content', 'refusal', 'text', 'thinking', 'arguments', 'summary']) expect(isLabelKey(k), k).toBe(false);
    for (const k of ['id', 'type', 'channel', 'role', 'name', 'format', 'signature', 'tool_call_id', 'finish_reason', 'native_finish_reason']) expect(isLabelKey(k), k).toBe(true);
  });
});

describe('extension fields in captured OpenAI-compatible streams', () => {
  const messageOf = (name: string) => {
    const rec = reconstruct(loadCaptured(name).input);
    const m = (rec.response as { choices: Array<{ message: Record<string, unknown> }> }).choices[0]!.message;
    return { rec, m, summary: summarize(rec.provider, rec.response) };
  };

  it('Groq gpt-oss: channel stays "analysis", the reasoning concatenates, the error event is reported', () => {
    const { rec, m, summary } = messageOf('groq-tool-error');
    expect(m['channel']).toBe('analysis');
    expect(summary.reasoning).toHaveLength(412);
    expect(summary.reasoning!.startsWith('We need to call')).toBe(true);
    expect(rec.error).toMatch(/^invalid_request_error: Tool call validation failed/);
  });

  it('OpenRouter: reasoning_details merge by index into one item with its signature; the final [] does not win', () => {
    const { m, summary } = messageOf('openrouter-reasoning');
    const details = m['reasoning_details'] as Array<Record<string, unknown>>;
    expect(details).toHaveLength(1);
    expect(details[0]).toMatchObject({ type: 'reasoning.text', text: 'This is a simple arithmetic question. 2+2 equals 4.', format: 'anthropic-claude-v1', index: 0 });
    expect(String(details[0]!['signature'])).toMatch(/^Et0BCkgI/);
    expect(m['reasoning']).toBe('This is a simple arithmetic question. 2+2 equals 4.');
    expect(summary).toMatchObject({ text: '2 + 2 = 4', finish_reason: 'stop', reasoning: 'This is a simple arithmetic question. 2+2 equals 4.' });
  });

  it('OpenRouter error mid-stream: reasoning kept, finish reason length, the error reported', () => {
    const { rec, m, summary } = messageOf('openrouter-error');
    expect((m['reasoning_details'] as unknown[]).length).toBe(1);
    expect(summary.reasoning).toHaveLength(42);
    expect(summary.finish_reason).toBe('length');
    expect(rec.error).toBe('400: Token limit reached');
  });

  it("Mistral magistral: the 421 characters of thinking survive as a thinking part, the answer as a text part", () => {
    const { m, summary } = messageOf('mistral-thinking');
    const content = m['content'] as Array<Record<string, unknown>>;
    expect(content.map((p) => p['type'])).toEqual(['thinking', 'text']);
    expect(summary.reasoning).toHaveLength(421);
    expect(summary.reasoning!.startsWith('Okay, the user is asking how to cross the street.')).toBe(true);
    expect(summary.text).toHaveLength(607);
    expect(summary.text.startsWith('To cross the street safely')).toBe(true);
    expect(chat(loadCaptured('mistral-thinking').input.chunks as StreamChunk[]).firstContentIndex).toBe(2);
  });

  it('DeepSeek reasoner: reasoning_content concatenates next to the answer', () => {
    const { m, summary } = messageOf('deepseek-reasoning');
    expect(m['reasoning_content']).toHaveLength(882);
    expect(summary.text).toBe('Hello there! 😊 How can I help you today?');
    expect(summary.usage).toEqual({ input_tokens: 6, output_tokens: 212, total_tokens: 218 });
  });
});
