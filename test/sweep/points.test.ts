/**
 * Fault points land on the boundaries each provider's stream format has: real captured streams
 * (fixtures/third-party-streams) and the synthetic builders, checked chunk by chunk.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyCassette } from '../../src/cassette/codec.js';
import { formatFault, parseFault } from '../../src/replay/faults.js';
import { writeCassette } from '../../src/store/cassette-file.js';
import { SWEEP_KINDS, sweepFaults } from '../../src/sweep/index.js';
import { analyzeStream, faultsForTrace, streamPoints, type SweepKind } from '../../src/sweep/points.js';
import type { Trace } from '../../src/trace/types.js';
import { makeAnthropicStreamTrace, makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { capturedNames, loadCaptured } from '../providers/captured.js';
import { capturedTrace } from './traces.js';

/** position -> reasons, for the meaningful points only. */
function meaningful(trace: Trace, budget = 64): Map<number, string[]> {
  return new Map(streamPoints(analyzeStream(trace), budget).filter((p) => p.meaningful).map((p) => [p.position, p.reasons]));
}
const dataOf = (t: Trace, position: number) => t.chunks![position]!.data as Record<string, unknown>;
const typeAt = (t: Trace, position: number) => (typeof t.chunks![position]!.data === 'string' ? t.chunks![position]!.data : (dataOf(t, position)['type'] ?? t.chunks![position]!.event));
const find = (points: Map<number, string[]>, pattern: RegExp) => [...points].filter(([, reasons]) => reasons.some((r) => pattern.test(r))).map(([p]) => p);

describe('fault points per provider format', () => {
  it('OpenAI chat with a tool call: first content, inside the arguments, text -> tool, finish, [DONE], usage', () => {
    const t = makeOpenAIStreamTrace({ text: 'Let me check.', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' }] });
    const pts = meaningful(t);
    const chunks = t.chunks!;
    expect(pts.get(0)).toEqual(['before the first byte']);
    // Chunk 1 is the role chunk; chunk 2 the first token.
    expect(find(pts, /^after the first content event/)).toEqual([2]);
    const argDeltas = chunks.flatMap((c, i) => ((c.data as { choices?: Array<{ delta?: { tool_calls?: Array<{ function?: { arguments?: string } }> } }> }).choices?.[0]?.delta?.tool_calls?.[0]?.function?.arguments ? [i] : []));
    expect(argDeltas.length).toBeGreaterThan(2);
    const inside = find(pts, /^inside tool call "get_weather" arguments$/);
    expect(inside).toHaveLength(1);
    // Some argument text has arrived and some has not.
    expect(inside[0]).toBeGreaterThan(argDeltas[0]!);
    expect(inside[0]).toBeLessThanOrEqual(argDeltas.at(-1)!);
    // The chunk naming the tool starts the second block.
    const between = find(pts, /^between content blocks \(text → tool call "get_weather"\)$/);
    expect(between).toHaveLength(1);
    expect(JSON.stringify(chunks[between[0]!]!.data)).toContain('"name":"get_weather"');
    const finish = find(pts, /^right before the finish event$/)[0]!;
    expect((dataOf(t, finish)['choices'] as Array<{ finish_reason: string }>)[0]!.finish_reason).toBe('tool_calls');
    const done = find(pts, /^right before the terminator$/)[0]!;
    expect(chunks[done]!.data).toBe('[DONE]');
    // The usage chunk is the one right before [DONE].
    expect(pts.get(done)).toContain('after usage');
    expect(dataOf(t, done - 1)['usage']).toBeDefined();
  });

  it('OpenAI chat, two parallel tool calls (captured): a boundary between the calls', () => {
    const t = capturedTrace('openai-chat-parallel-tools');
    const pts = meaningful(t);
    const between = find(pts, /^between content blocks \(tool call "get_country" → tool call "get_product_name"\)$/);
    expect(between).toHaveLength(1);
    expect(JSON.stringify(t.chunks![between[0]!]!.data)).toContain('"name":"get_product_name"');
  });

  it('Anthropic with tool use: between the text and tool_use blocks, inside input_json_delta, message_delta, message_stop', () => {
    const t = makeAnthropicStreamTrace({ text: 'Let me look that up.', toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' }] });
    const pts = meaningful(t);
    expect(typeAt(t, find(pts, /^after the first content event/)[0]! - 1)).toBe('content_block_delta');
    const between = find(pts, /^between content blocks \(text → tool_use "get_weather"\)$/)[0]!;
    expect(typeAt(t, between)).toBe('content_block_start');
    expect(typeAt(t, between - 1)).toBe('content_block_stop');
    const inside = find(pts, /^inside tool call "get_weather" arguments$/)[0]!;
    expect(typeAt(t, inside - 1)).toBe('content_block_delta');
    expect((dataOf(t, inside - 1)['delta'] as { type: string }).type).toBe('input_json_delta');
    expect((dataOf(t, inside)['delta'] as { type: string }).type).toBe('input_json_delta');
    expect(typeAt(t, find(pts, /^right before the finish event$/)[0]!)).toBe('message_delta');
    const stop = find(pts, /^right before the terminator$/)[0]!;
    expect(typeAt(t, stop)).toBe('message_stop');
    // Usage comes last in message_delta, just before message_stop.
    expect(pts.get(stop)).toContain('after usage');
  });

  it('Anthropic captured streams: a real tool_use stream and a web search with several blocks', () => {
    const tool = capturedTrace('anthropic-tool-use');
    const pts = meaningful(tool);
    const between = find(pts, /^between content blocks/);
    expect(between.map((p) => typeAt(tool, p))).toEqual(['content_block_start']);
    expect(typeAt(tool, find(pts, /^right before the terminator$/)[0]!)).toBe('message_stop');
    const search = capturedTrace('anthropic-web-search');
    const sp = meaningful(search);
    const boundaries = find(sp, /^between content blocks/);
    expect(boundaries.length).toBeGreaterThanOrEqual(3);
    for (const b of boundaries) expect(typeAt(search, b)).toBe('content_block_start');
    for (const p of find(sp, /^inside tool call "web_search" arguments$/)) {
      expect((dataOf(search, p - 1)['delta'] as { type: string }).type).toBe('input_json_delta');
    }
  });

  it('OpenAI Responses: function_call item, inside function_call_arguments.delta, right before response.completed', () => {
    for (const name of ['openai-responses-tool', 'openai-responses-gpt5-tool']) {
      const t = capturedTrace(name);
      const pts = meaningful(t);
      const inside = find(pts, /^inside tool call ".+" arguments$/);
      expect(inside).toHaveLength(1);
      expect(typeAt(t, inside[0]! - 1)).toBe('response.function_call_arguments.delta');
      expect(typeAt(t, inside[0]!)).toBe('response.function_call_arguments.delta');
      const end = find(pts, /terminator/);
      expect(end.map((p) => typeAt(t, p))).toEqual(['response.completed']);
    }
    const gpt5 = meaningful(capturedTrace('openai-responses-gpt5-tool'));
    expect(find(gpt5, /^between content blocks \(reasoning → function_call "final_result"\)$/)).toHaveLength(1);
  });

  it('Gemini: first content, the functionCall chunk, the finishReason chunk', () => {
    const t = capturedTrace('gemini-tool-thoughtsig');
    const pts = meaningful(t);
    const tool = find(pts, /^right before tool call "get_country" arguments$/)[0]!;
    expect(JSON.stringify(t.chunks![tool]!.data)).toContain('"functionCall"');
    const text = capturedTrace('gemini-sse-crlf');
    const tp = meaningful(text);
    const finish = find(tp, /^right before the finish event$/)[0]!;
    expect(JSON.stringify(text.chunks![finish]!.data)).toContain('"finishReason"');
    expect(finish).toBe(text.chunks!.length - 1);
    expect(find(tp, /^after the first content event \(chunk 1\)$/)).toEqual([1]);
  });

  it('Ollama NDJSON: right before the done:true line', () => {
    for (const name of ['ollama-chat-lcgo', 'ollama-generate-lcgo']) {
      const t = capturedTrace(name);
      const pts = meaningful(t);
      const end = find(pts, /terminator/)[0]!;
      expect(dataOf(t, end)['done']).toBe(true);
      expect(end).toBe(t.chunks!.length - 1);
      expect(find(pts, /^after the first content event/)).toEqual([1]);
    }
  });

  it('Cohere v2: tool plan -> each tool call, inside each call\'s arguments, message-end as finish and terminator', () => {
    const t = capturedTrace('cohere-tool-call');
    const a = analyzeStream(t);
    expect(a.known).toBe(true);
    const pts = meaningful(t);
    const between = find(pts, /^between content blocks/);
    expect(between.map((p) => typeAt(t, p))).toEqual(['tool-call-start', 'tool-call-start']);
    expect(pts.get(between[0]!)).toContain('between content blocks (tool plan → tool call "weather")');
    for (const name of ['weather', 'cityAttractions']) {
      const inside = find(pts, new RegExp(`^inside tool call "${name}" arguments$`));
      expect(inside).toHaveLength(1);
      expect([typeAt(t, inside[0]! - 1), typeAt(t, inside[0]!)]).toEqual(['tool-call-delta', 'tool-call-delta']);
    }
    const end = find(pts, /finish event and terminator/);
    expect(end.map((p) => typeAt(t, p))).toEqual(['message-end']);
  });

  it('Bedrock Converse: text -> each toolUse, right before each toolUse input, messageStop as the finish event', () => {
    const t = capturedTrace('bedrock-converse-nova-tool');
    const a = analyzeStream(t);
    expect(a.known).toBe(true);
    const pts = meaningful(t);
    expect(find(pts, /^between content blocks \(text → toolUse "secret_retrieval_tool"\)$/).map((p) => t.chunks![p]!.event)).toEqual(['contentBlockStart']);
    const args = find(pts, /^right before tool call "secret_retrieval_tool" arguments$/);
    expect(args).toHaveLength(2);
    for (const p of args) expect(JSON.stringify(t.chunks![p]!.data)).toContain('"toolUse":{"input"');
    expect(find(pts, /^right before the finish event$/).map((p) => t.chunks![p]!.event)).toEqual(['messageStop']);
    const thinking = meaningful(capturedTrace('bedrock-converse-claude-thinking'));
    expect(find(thinking, /^between content blocks \(reasoningContent → text\)$/)).toHaveLength(1);
  });

  it('Bedrock InvokeModel: the Anthropic events inside the base64 chunks give thinking -> text, stop and terminator', () => {
    const t = capturedTrace('bedrock-invoke-claude-thinking');
    const a = analyzeStream(t);
    expect(a.known).toBe(true);
    const pts = meaningful(t);
    const inner = (p: number) => JSON.parse(Buffer.from((t.chunks![p]!.data as { bytes: string }).bytes, 'base64').toString('utf8')) as { type: string };
    expect(find(pts, /^between content blocks \(thinking → text\)$/).map((p) => inner(p).type)).toEqual(['content_block_start']);
    expect(find(pts, /^right before the finish event$/).map((p) => inner(p).type)).toEqual(['message_delta']);
    expect(find(pts, /^right before the terminator$/).map((p) => inner(p).type)).toEqual(['message_stop']);
  });
});

describe('the faults of a sweep', () => {
  const t = makeOpenAIStreamTrace({ text: 'One two three four five six seven eight nine ten.', toolCalls: [{ id: 'c', name: 'get_weather', arguments: '{"city":"Paris"}' }] });

  it('name each fault by its spelling and where it falls, apply to the first request, and parse back', () => {
    const faults = faultsForTrace(t, { budget: 8, stallMs: 250 });
    const drop = faults.find((f) => f.kind === 'drop-after' && /inside tool call/.test(f.where))!;
    expect(drop.name).toMatch(/^drop-after=\d+ \(inside tool call "get_weather" arguments\)$/);
    expect(drop.spec).toBe(`drop-after=${drop.position}@1`);
    for (const f of faults) {
      expect(f.request).toBe(1);
      expect(formatFault(parseFault(f.spec))).toBe(f.spec);
      expect(parseFault(f.spec)).toMatchObject({ kind: f.kind, request: 1 });
    }
    expect(faults.filter((f) => f.kind === 'status').map((f) => f.spec)).toEqual(['status=429:0@1', 'status=500@1']);
    expect(faults.filter((f) => f.kind === 'stall').every((f) => f.kind === 'stall' && f.ms === 250)).toBe(true);
    // truncate-json only cuts JSON: never the [DONE] line.
    const doneChunk = t.chunks!.length;
    expect(faults.some((f) => f.kind === 'truncate-json' && f.chunk === doneChunk)).toBe(false);
    // A truncation names the chunk it cuts.
    expect(faults.find((f) => f.kind === 'truncate-json' && f.position === 0)!.where).toBe('the first chunk');
    expect(faults.find((f) => f.kind === 'truncate-json' && /finish/.test(f.where))!.where).toBe('the finish event');
  });

  it('follow the requested kinds, request and budget', () => {
    const faults = faultsForTrace(t, { kinds: ['truncate-json', 'drop-after'], request: 3, budget: 4 });
    expect([...new Set(faults.map((f) => f.kind))]).toEqual(['truncate-json', 'drop-after']);
    expect(faults.filter((f) => f.kind === 'drop-after')).toHaveLength(4);
    expect(faults.every((f) => f.spec.endsWith('@3') && f.name.includes('@3'))).toBe(true);
  });

  it('are the same list every time', () => {
    expect(faultsForTrace(t)).toEqual(faultsForTrace(structuredClone(t)));
  });

  it('property: every point is a valid chunk index and no fault appears twice, for any stream and budget', () => {
    const captured = capturedNames().filter((n) => loadCaptured(n).input.stream);
    const traceArb = fc.oneof(
      fc.record({ text: fc.string({ minLength: 1, maxLength: 80 }), tools: fc.array(fc.record({ name: fc.constantFrom('a', 'get_weather', 'x y'), args: fc.json() }), { maxLength: 3 }), anthropic: fc.boolean(), usage: fc.boolean() }).map(({ text, tools, anthropic, usage }) => {
        const opts = { text: `${text} x`, toolCalls: tools.map((tc, i) => ({ id: `c${i}`, name: tc.name, arguments: tc.args })), usage: usage ? undefined : null };
        return anthropic ? makeAnthropicStreamTrace(opts) : makeOpenAIStreamTrace(opts);
      }),
      fc.constantFrom(...captured).map((n) => capturedTrace(n)),
      // Any events at all under any provider's path.
      fc.record({ path: fc.constantFrom('/v1/chat/completions', '/v1/messages', '/v1/responses', '/api/chat', '/v1beta/models/g:streamGenerateContent', '/other'), events: fc.array(fc.oneof(fc.json().map((j) => JSON.parse(j) as unknown), fc.constant('[DONE]')), { minLength: 1, maxLength: 40 }) }).map(({ path, events }) => {
        const base = makeOpenAIStreamTrace();
        return { ...base, endpoint: path, http: { ...base.http, url: path }, chunks: events.map((data) => ({ delta_ms: 1, raw: '', data })) } as Trace;
      }),
    );
    fc.assert(
      fc.property(traceArb, fc.integer({ min: 1, max: 40 }), fc.subarray([...SWEEP_KINDS] as SweepKind[], { minLength: 1 }), (trace, budget, kinds) => {
        const n = trace.chunks!.length;
        const faults = faultsForTrace(trace, { budget, kinds });
        const specs = faults.map((f) => f.spec);
        expect(new Set(specs).size).toBe(specs.length);
        for (const f of faults) {
          expect(Number.isInteger(f.position) && f.position >= 0 && f.position < n).toBe(true);
          if (f.kind === 'drop-after') expect(f.chunk).toBe(f.position);
          if (f.kind === 'error-event') expect(f.after).toBe(f.position);
          if (f.kind === 'truncate-json' || f.kind === 'stall') {
            expect(f.chunk).toBe(f.position + 1);
            expect(f.chunk).toBeLessThanOrEqual(n);
          }
          if (f.kind === 'truncate-json') expect(typeof trace.chunks![f.chunk - 1]!.data).toBe('object');
          expect(kinds).toContain(f.kind);
        }
        // Deterministic order: by kind as asked, then by position.
        const order = faults.map((f) => [kinds.indexOf(f.kind as SweepKind), f.position] as const);
        expect(order).toEqual([...order].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
        for (const k of kinds) if (k !== 'status') expect(faults.filter((f) => f.kind === k).length).toBeLessThanOrEqual(budget);
        if (kinds.includes('drop-after')) expect(faults.filter((f) => f.kind === 'drop-after').length).toBe(Math.min(budget, n));
      }),
      { numRuns: 300 },
    );
  });
});

describe('sweepFaults(cassette)', () => {
  const cassette = async (traces: Trace[]) => {
    const path = join(await mkdtemp(join(tmpdir(), 'tf-sweep-')), 'c.yaml');
    await writeCassette(path, { ...emptyCassette(), interactions: traces });
    return path;
  };

  it('reads the cassette synchronously and sweeps its first streamed interaction, faulting that request', async () => {
    const path = await cassette([makeNonStreamTrace({ id: 'a' }), makeOpenAIStreamTrace({ id: 'b' })]);
    const faults = sweepFaults(path, { budget: 3, kinds: 'drop-after,stall' });
    expect(faults.map((f) => f.spec)).toEqual(faultsForTrace(makeOpenAIStreamTrace({ id: 'b' }), { budget: 3, kinds: ['drop-after', 'stall'], request: 2 }).map((f) => f.spec));
    expect(faults.every((f) => f.request === 2)).toBe(true);
    expect(sweepFaults(path, { budget: 3, request: 1 }).every((f) => f.spec.endsWith('@1'))).toBe(true);
  });

  it('refuses a cassette with no streamed interaction, an interaction that did not stream, and unknown kinds', async () => {
    const path = await cassette([makeNonStreamTrace()]);
    expect(() => sweepFaults(path)).toThrow(/has no streamed interaction/);
    expect(() => sweepFaults(path, { interaction: 1 })).toThrow(/did not stream/);
    expect(() => sweepFaults(path, { interaction: 2 })).toThrow(/interaction 2 is not in/);
    const streamed = await cassette([makeOpenAIStreamTrace()]);
    expect(() => sweepFaults(streamed, { kinds: 'drop-after,explode' })).toThrow(/unknown fault kind "explode"/);
    expect(() => sweepFaults(streamed, { budget: 0 })).toThrow(/budget must be/);
    expect(() => sweepFaults(join(tmpdir(), 'no-such-cassette.yaml'))).toThrow(/does not exist/);
  });
});
