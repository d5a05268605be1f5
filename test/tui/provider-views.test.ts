/**
 * What the view shows for the providers and fields issue 12 added: the per-chunk previews and the
 * replay animation's growing message (chunk-text.ts, read by shape) must add up to what the
 * reconstructor's summary says, and `trace view --text` prints the provider, text, reasoning, tool
 * calls, stop reason and usage of Bedrock, Cohere, Mistral, OpenRouter and Groq captures.
 */
import { describe, expect, it } from 'vitest';
import { chunkPreview, MessageBuilder } from '../../src/tui/chunk-text.js';
import { buildViewModel, renderTextView } from '../../src/tui/panels.js';
import { plainStyle } from '../../src/tui/style.js';
import { reconstruct, summarize } from '../../src/trace/reconstruct.js';
import { TRACE_SCHEMA_VERSION, type Trace, type TraceChunk } from '../../src/trace/types.js';
import { loadCaptured } from '../providers/captured.js';

/** A trace of a captured stream as the recorder would write it (timing made up: 10 ms per chunk). */
function traceOf(name: string): Trace {
  const cap = loadCaptured(name);
  const rec = reconstruct(cap.input);
  const chunks: TraceChunk[] = cap.input.chunks.map((c, i) => ({ delta_ms: i === 0 ? 0 : 10, ...(c.event !== undefined ? { event: c.event } : {}), data: c.data, raw: '' }));
  return {
    schema_version: TRACE_SCHEMA_VERSION,
    id: `t-${name}`,
    timestamp: '2026-01-01T00:00:00.000Z',
    endpoint: cap.input.endpoint,
    request: cap.input.request,
    response: rec.response,
    metadata: { duration_ms: 10 * chunks.length + 50, status: rec.error ? 'error' : 'success', model: rec.model, provider: rec.provider, stream: true },
    chunks,
    total_chunks: chunks.length,
    stream_duration_ms: 10 * (chunks.length - 1),
    first_chunk_latency_ms: 50,
    http: { method: 'POST', url: cap.input.url!, request_headers: {}, status: 200, status_message: 'OK', response_headers: [], framing: 'sse', headers_ms: 40, first_byte_ms: 50, outcome: 'complete' },
  };
}

describe('chunk previews add up to the reconstruction', () => {
  for (const name of ['bedrock-converse', 'cohere-tool-call', 'mistral-thinking', 'openrouter-reasoning', 'groq-tool-error', 'deepseek-reasoning']) {
    it(name, () => {
      const t = traceOf(name);
      const b = new MessageBuilder();
      for (const c of t.chunks!) b.push(c);
      const s = summarize(t.metadata.provider, t.response);
      expect(b.text).toBe(s.text);
      expect(b.reasoning).toBe(s.reasoning ?? '');
      expect(b.toolCalls().map((c) => c.name)).toEqual(s.tool_calls.map((c) => c.name));
      expect(b.toolCalls().map((c) => JSON.parse(c.args))).toEqual(s.tool_calls.map((c) => c.arguments));
    });
  }

  it('Bedrock InvokeModel chunks preview their base64 Anthropic event', () => {
    const bytes = (v: unknown) => ({ delta_ms: 0, raw: '', event: 'chunk', data: { bytes: Buffer.from(JSON.stringify(v)).toString('base64') } });
    expect(chunkPreview(bytes({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } }))).toBe('"Hi"');
    expect(chunkPreview(bytes({ contentBlockDelta: { delta: { text: 'Yo' }, contentBlockIndex: 0 } }))).toBe('"Yo"');
    expect(chunkPreview({ delta_ms: 0, raw: '', event: 'messageStop', data: { stopReason: 'end_turn' } })).toBe('(stop: end_turn)');
    expect(chunkPreview({ delta_ms: 0, raw: '', event: 'contentBlockStart', data: { contentBlockIndex: 1, start: { toolUse: { toolUseId: 't', name: 'lookup' } } } })).toBe('⚙ lookup(');
  });
});

describe('trace view --text for the new providers', () => {
  const view = (name: string) => renderTextView(buildViewModel(traceOf(name)), plainStyle, 120);

  it('Bedrock: provider, model, the 375-character answer, end_turn and usage 13/82', () => {
    const out = view('bedrock-converse');
    expect(out).toMatch(/Provider\s+bedrock/);
    expect(out).toMatch(/Model\s+us\.amazon\.nova-micro-v1:0/);
    expect(out).toContain('The capital of France is Paris. Paris is not only the capital city');
    expect(out).toMatch(/Finish reason\s+end_turn/);
    expect(out).toMatch(/Usage\s+input 13 · output 82 · total 95/);
    expect(out).not.toContain('\u0000');
  });

  it('Cohere: the tool plan as reasoning, both tool calls with arguments, TOOL_CALL', () => {
    const out = view('cohere-tool-call');
    expect(out).toMatch(/Provider\s+cohere/);
    expect(out).toContain('Reasoning');
    expect(out).toContain('I will use the weather tool');
    expect(out).toMatch(/"name": "weather",\n\s+"arguments": \{\n\s+"location": "San Francisco"/);
    expect(out).toMatch(/"name": "cityAttractions",\n\s+"arguments": \{\n\s+"city": "San Francisco"/);
    expect(out).toMatch(/Finish reason\s+TOOL_CALL/);
    expect(out).toMatch(/Usage\s+input 1549 · output 95 · total 1644/);
  });

  it("Mistral's thinking and OpenRouter's reasoning_details are shown as reasoning", () => {
    expect(view('mistral-thinking')).toMatch(/Reasoning\nOkay, the user is asking how to cross the street\./);
    expect(view('openrouter-reasoning')).toMatch(/Reasoning\nThis is a simple arithmetic question\. 2\+2 equals 4\./);
    const groq = view('groq-tool-error');
    expect(groq).toContain('Reasoning');
    expect(groq).not.toContain('analysisanalysis');
  });
});
