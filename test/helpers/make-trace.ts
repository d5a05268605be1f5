import { TRACE_SCHEMA_VERSION, type Trace, type TraceChunk } from '../../src/trace/types.js';
import { seededRandom } from '../../src/demo/simulated-upstream.js';

/**
 * Builders of realistic synthetic traces for tests: OpenAI chat SSE, Anthropic Messages SSE and
 * non-streamed calls, with seeded jittered timing (bursts, token gaps and stalls) so every run is the same.
 */
export interface ToolCallSpec {
  id: string;
  name: string;
  /** The JSON arguments string as the model streamed it. */
  arguments: string;
}

export interface MakeTraceOptions {
  id?: string;
  timestamp?: string;
  model?: string;
  /** The assistant text; split into word-ish tokens, one per content chunk. */
  text?: string;
  toolCalls?: ToolCallSpec[];
  /** Per-chunk delta_ms; the first is forced to 0. Default: seeded jitter. */
  gaps?: number[];
  seed?: number;
  firstChunkLatencyMs?: number;
  status?: number;
  outcome?: Trace['http']['outcome'];
  messages?: Array<{ role: string; content: string }>;
  params?: Record<string, unknown>;
  finishReason?: string;
  usage?: { input: number; output: number } | null;
}

const DEFAULT_TEXT = 'Hello! Streaming lets you show tokens as they arrive, so users see the answer build up.';

/** mulberry32: tiny seeded PRNG so timing is random-looking but reproducible. */
export const seeded = seededRandom;

/** Gaps like a real token stream: mostly 5-30 ms, some sub-2 ms bursts, an occasional 60-300 ms stall. */
export function jitteredGaps(n: number, seed = 1): number[] {
  const rnd = seeded(seed);
  return Array.from({ length: n }, (_, i) => {
    if (i === 0) return 0;
    const r = rnd();
    const ms = r < 0.15 ? rnd() * 2 : r < 0.93 ? 5 + rnd() * 25 : 60 + rnd() * 240;
    return Math.round(ms * 1000) / 1000;
  });
}

export function tokenize(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

function sse(data: unknown, event?: string): string {
  const body = typeof data === 'string' ? data : JSON.stringify(data);
  return `${event ? `event: ${event}\n` : ''}data: ${body}\n\n`;
}

function chunk(data: unknown, event?: string): TraceChunk {
  const c: TraceChunk = { delta_ms: 0, raw: sse(data, event), data };
  if (event) c.event = event;
  return c;
}

function finishTiming(trace: Trace, chunks: TraceChunk[], opts: MakeTraceOptions, contentIndex: number): Trace {
  const gaps = opts.gaps ?? jitteredGaps(chunks.length, opts.seed ?? 1);
  chunks.forEach((c, i) => (c.delta_ms = i === 0 ? 0 : gaps[i] ?? 10));
  const ttfb = opts.firstChunkLatencyMs ?? 312.5;
  const streamMs = chunks.reduce((s, c) => s + c.delta_ms, 0);
  const contentAt = chunks.slice(0, contentIndex + 1).reduce((s, c) => s + c.delta_ms, 0);
  trace.chunks = chunks;
  trace.total_chunks = chunks.length;
  trace.stream_duration_ms = streamMs;
  trace.first_chunk_latency_ms = ttfb;
  trace.first_content_latency_ms = ttfb + contentAt;
  trace.metadata.duration_ms = ttfb + streamMs + 1.5;
  trace.http.first_byte_ms = ttfb;
  trace.http.headers_ms = ttfb - 0.5;
  return trace;
}

function base(opts: MakeTraceOptions, endpoint: string, provider: Trace['metadata']['provider'], stream: boolean): Trace {
  const status = opts.status ?? 200;
  const messages = opts.messages ?? [{ role: 'user', content: 'Say hello and explain streaming in one sentence.' }];
  return {
    schema_version: TRACE_SCHEMA_VERSION,
    id: opts.id ?? 'tr0a1b2c3d4e',
    timestamp: opts.timestamp ?? '2026-11-24T15:41:00.123Z',
    endpoint,
    request: { model: opts.model ?? 'gpt-4o-mini', messages, stream, ...(opts.params ?? { temperature: 0.2 }) },
    response: null,
    metadata: {
      duration_ms: 0,
      status: status < 400 && (opts.outcome ?? 'complete') === 'complete' ? 'success' : 'error',
      model: opts.model ?? 'gpt-4o-mini',
      provider,
      stream,
      upstream: 'https://upstream.example',
    },
    http: {
      method: 'POST',
      url: endpoint,
      request_headers: { 'content-type': 'application/json', authorization: '[REDACTED]' },
      status,
      status_message: status === 200 ? 'OK' : 'Error',
      response_headers: [['content-type', stream ? 'text/event-stream' : 'application/json']],
      framing: stream ? 'sse' : 'raw',
      headers_ms: 0,
      outcome: opts.outcome ?? 'complete',
    },
  };
}

/** An OpenAI chat completions stream: role chunk, content chunks, tool-call deltas, finish, usage, [DONE]. */
export function makeOpenAIStreamTrace(opts: MakeTraceOptions = {}): Trace {
  const t = base(opts, '/v1/chat/completions', 'openai', true);
  const model = opts.model ?? 'gpt-4o-mini';
  const text = opts.text ?? DEFAULT_TEXT;
  const frame = (delta: unknown, finish: string | null = null) => ({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1764000000,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const chunks: TraceChunk[] = [chunk(frame({ role: 'assistant', content: '' }))];
  for (const tok of tokenize(text)) chunks.push(chunk(frame({ content: tok })));
  (opts.toolCalls ?? []).forEach((tc, index) => {
    chunks.push(chunk(frame({ tool_calls: [{ index, id: tc.id, type: 'function', function: { name: tc.name, arguments: '' } }] })));
    for (let i = 0; i < tc.arguments.length; i += 8) {
      chunks.push(chunk(frame({ tool_calls: [{ index, function: { arguments: tc.arguments.slice(i, i + 8) } }] })));
    }
  });
  const finish = opts.finishReason ?? ((opts.toolCalls ?? []).length > 0 ? 'tool_calls' : 'stop');
  chunks.push(chunk(frame({}, finish)));
  const usage = opts.usage === undefined ? { input: 14, output: tokenize(text).length } : opts.usage;
  if (usage) {
    chunks.push(chunk({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1764000000, model, choices: [], usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output } }));
  }
  chunks.push({ delta_ms: 0, raw: 'data: [DONE]\n\n', data: '[DONE]' });
  const toolCalls = (opts.toolCalls ?? []).map((tc) => ({ id: tc.id, type: 'function', function: { name: tc.name, arguments: tc.arguments } }));
  t.response = {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1764000000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) }, finish_reason: finish }],
    ...(usage ? { usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output } } : {}),
  };
  return finishTiming(t, chunks, opts, 1);
}

/** An Anthropic Messages stream: message_start, ping, text and tool_use blocks, message_delta, message_stop. */
export function makeAnthropicStreamTrace(opts: MakeTraceOptions = {}): Trace {
  const model = opts.model ?? 'claude-sonnet-4-5';
  const t = base({ ...opts, model }, '/v1/messages', 'anthropic', true);
  const text = opts.text ?? DEFAULT_TEXT;
  const usage = opts.usage === undefined ? { input: 21, output: tokenize(text).length } : opts.usage;
  const chunks: TraceChunk[] = [
    chunk({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model, content: [], stop_reason: null, usage: { input_tokens: usage?.input ?? 0, output_tokens: 1 } } }, 'message_start'),
    chunk({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'),
    chunk({ type: 'ping' }, 'ping'),
  ];
  for (const tok of tokenize(text)) chunks.push(chunk({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: tok } }, 'content_block_delta'));
  chunks.push(chunk({ type: 'content_block_stop', index: 0 }, 'content_block_stop'));
  (opts.toolCalls ?? []).forEach((tc, i) => {
    const index = i + 1;
    chunks.push(chunk({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: tc.id, name: tc.name, input: {} } }, 'content_block_start'));
    for (let k = 0; k < tc.arguments.length; k += 8) {
      chunks.push(chunk({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: tc.arguments.slice(k, k + 8) } }, 'content_block_delta'));
    }
    chunks.push(chunk({ type: 'content_block_stop', index }, 'content_block_stop'));
  });
  const stop = opts.finishReason ?? ((opts.toolCalls ?? []).length > 0 ? 'tool_use' : 'end_turn');
  chunks.push(chunk({ type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: usage?.output ?? 0 } }, 'message_delta'));
  chunks.push(chunk({ type: 'message_stop' }, 'message_stop'));
  t.response = {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text }, ...(opts.toolCalls ?? []).map((tc) => ({ type: 'tool_use', id: tc.id, name: tc.name, input: JSON.parse(tc.arguments) as unknown }))],
    stop_reason: stop,
    stop_sequence: null,
    usage: { input_tokens: usage?.input ?? 0, output_tokens: usage?.output ?? 0 },
  };
  t.request = { model, max_tokens: 1024, messages: opts.messages ?? [{ role: 'user', content: 'Say hello and explain streaming in one sentence.' }], stream: true, ...(opts.params ?? {}) };
  return finishTiming(t, chunks, opts, 3);
}

/** A non-streamed OpenAI chat completion: one JSON body, no chunks. */
export function makeNonStreamTrace(opts: MakeTraceOptions = {}): Trace {
  const t = base(opts, '/v1/chat/completions', 'openai', false);
  const text = opts.text ?? DEFAULT_TEXT;
  const usage = opts.usage === undefined ? { input: 14, output: tokenize(text).length } : opts.usage;
  t.response = {
    id: 'chatcmpl-2',
    object: 'chat.completion',
    created: 1764000000,
    model: opts.model ?? 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: opts.finishReason ?? 'stop' }],
    ...(usage ? { usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output } } : {}),
  };
  const ttfb = opts.firstChunkLatencyMs ?? 640.25;
  t.http.first_byte_ms = ttfb;
  t.http.headers_ms = ttfb - 1;
  t.http.body = [{ delta_ms: 0, raw: JSON.stringify(t.response) }];
  t.metadata.duration_ms = ttfb + 2.75;
  return t;
}
