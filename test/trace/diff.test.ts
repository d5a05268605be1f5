import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffTokens, diffTraces, diffWords, formatMessages, lineTokens, wordTokens, type DiffOp } from '../../src/trace/diff.js';
import { makeAnthropicStreamTrace, makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';

const side = (ops: DiffOp[], keep: 'add' | 'del') => ops.filter((o) => o.op !== keep).map((o) => o.text).join('');

/** Classic O(nm) LCS length, the reference for Myers' minimality. */
function lcs(a: string[], b: string[]): number {
  const dp = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) dp[i]![j] = a[i - 1] === b[j - 1] ? dp[i - 1]![j - 1]! + 1 : Math.max(dp[i - 1]![j]!, dp[i]![j - 1]!);
  return dp[a.length]![b.length]!;
}

describe('diffTokens', () => {
  it('rebuilds both sides and keeps a longest common subsequence', () => {
    const tok = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 30 });
    fc.assert(
      fc.property(tok, tok, (a, b) => {
        const ops = diffTokens(a, b);
        expect(side(ops, 'add')).toBe(a.join(''));
        expect(side(ops, 'del')).toBe(b.join(''));
        // Merged ops hide token counts, so diff single-char tokens and count the kept characters.
        const kept = ops.filter((o) => o.op === 'same').reduce((n, o) => n + o.text.length, 0);
        expect(kept).toBe(lcs(a, b));
      }),
    );
  });

  it('marks the changed word only', () => {
    expect(diffTokens(wordTokens('the quick fox'), wordTokens('the slow fox'))).toEqual([
      { op: 'same', text: 'the ' },
      { op: 'del', text: 'quick' },
      { op: 'add', text: 'slow' },
      { op: 'same', text: ' fox' },
    ]);
  });

  it('falls back to remove-all/add-all for unrelated long inputs, still rebuilding both sides', () => {
    const a = Array.from({ length: 3000 }, (_, i) => `a${i} `);
    const b = Array.from({ length: 3000 }, (_, i) => `b${i} `);
    const ops = diffTokens(a, b);
    expect(ops.map((o) => o.op)).toEqual(['del', 'add']);
    expect(side(ops, 'add')).toBe(a.join(''));
  });

  it('folds a shared space between changed words into one replacement', () => {
    expect(diffWords('blue because of Rayleigh scattering', 'blue because air scatters')).toEqual([
      { op: 'same', text: 'blue because ' },
      { op: 'del', text: 'of Rayleigh scattering' },
      { op: 'add', text: 'air scatters' },
    ]);
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', ' ', 'c ')), fc.array(fc.constantFrom('a', 'b', ' ', 'c ')), (x, y) => {
        const ops = diffWords(x.join(''), y.join(''));
        expect(side(ops, 'add')).toBe(x.join(''));
        expect(side(ops, 'del')).toBe(y.join(''));
      }),
    );
  });

  it('splits lines keeping the newlines', () => {
    expect(lineTokens('a\nb\nc')).toEqual(['a\n', 'b\n', 'c']);
  });
});

describe('diffTraces', () => {
  it('finds no content difference between a trace and itself', () => {
    const t = makeOpenAIStreamTrace();
    const d = diffTraces(t, structuredClone(t));
    expect(d.sameContent).toBe(true);
    expect(d.timing.rows.find((r) => r.label === 'Chunks')).toMatchObject({ a: t.total_chunks, b: t.total_chunks });
  });

  it('reports request, response and timing differences', () => {
    const a = makeOpenAIStreamTrace({ id: 'aaa', text: 'It is sunny today.', params: { temperature: 0.2 } });
    const b = makeOpenAIStreamTrace({
      id: 'bbb',
      text: 'It is rainy today.',
      params: { temperature: 0.9, top_p: 0.5 },
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
      seed: 7,
      firstChunkLatencyMs: 900,
    });
    const d = diffTraces(a, b);
    expect(d.sameContent).toBe(false);
    expect(d.ids).toEqual(['aaa', 'bbb']);
    expect(d.request.params).toContainEqual({ key: 'temperature', a: '0.2', b: '0.9', same: false });
    expect(d.request.params).toContainEqual({ key: 'top_p', a: undefined, b: '0.5', same: false });
    expect(d.request.messages.filter((o) => o.op === 'add').map((o) => o.text)).toEqual(['[user] Weather in Paris?\n']);
    expect(d.response.text.filter((o) => o.op !== 'same')).toEqual([
      { op: 'del', text: 'sunny' },
      { op: 'add', text: 'rainy' },
    ]);
    expect(d.response.toolCalls.map((o) => o.op)).toEqual(['add']);
    expect(d.response.toolCalls[0]!.text).toContain('"city": "Paris"');
    expect(d.response.fields).toContainEqual({ key: 'finish reason', a: 'stop', b: 'tool_calls', same: false });
    expect(d.timing.rows.find((r) => r.label === 'TTFB')).toMatchObject({ a: 312.5, b: 900 });
    const chunks = d.timing.rows.find((r) => r.label === 'Chunks')!;
    expect(chunks.b! - chunks.a!).toBe(3); // same token count, plus a tool-call header and two argument chunks
  });

  it('compares a stream with a non-stream call across providers', () => {
    const d = diffTraces(makeAnthropicStreamTrace(), makeNonStreamTrace());
    const chunks = d.timing.rows.find((r) => r.label === 'Chunks')!;
    expect(chunks.a).toBeGreaterThan(0);
    expect(chunks.b).toBeNull();
    expect(d.timing.histogram.b.every((n) => n === 0)).toBe(true);
    expect(d.request.params.find((p) => p.key === 'max_tokens')).toMatchObject({ a: '1024', b: undefined });
  });
});

describe('formatMessages', () => {
  it('flattens system prompts and content parts', () => {
    const text = formatMessages({
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }, { type: 'image', source: 'x' }] }],
    });
    expect(text).toBe('[system] Be brief.\n[user] Hi {"type":"image","source":"x"}\n');
  });
});
