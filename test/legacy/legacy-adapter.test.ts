import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTrace } from '../../src/trace/codec.js';
import { convertLegacyTrace, isLegacyTrace, legacyToTrace } from '../../src/trace/legacy.js';
import { summarize } from '../../src/trace/reconstruct.js';
import { findTraceProblems } from '../../src/trace/validate.js';
import type { Trace } from '../../src/trace/types.js';
import { seedText } from './seeds.js';

const seed = (name: string) => JSON.parse(seedText(name)) as Record<string, unknown>;
const ok = (v: unknown): Trace => {
  const r = convertLegacyTrace(v, 'test.json');
  if (!r.ok) throw new Error(r.error);
  return r.trace;
};
const text = (t: Trace) => summarize(t.metadata.provider, t.response).text;

describe('schema 1.0.0 traces (the first TraceForge), read as they are', () => {
  it('an OpenAI chat stream: timing from its `streaming` object, SSE framing synthesised with [DONE], marked', () => {
    const t = parseTrace(seedText('openai-chat-stream'), 'openai-chat-stream.json');
    expect(findTraceProblems(t)).toEqual([]);
    expect(t).toMatchObject({ schema_version: 1, id: '7c9e6679f4a1', endpoint: '/v1/chat/completions', first_chunk_latency_ms: 412.37, stream_duration_ms: 198.73 });
    expect(t.metadata).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', stream: true, status: 'success' });
    expect(t.http).toMatchObject({ method: 'POST', status: 200, framing: 'sse', outcome: 'complete', synthesized: true, first_byte_ms: 412.37 });
    const chunks = t.chunks!;
    // 19 recorded chunks plus the [DONE] the SDK waits for.
    expect(chunks).toHaveLength(20);
    expect(t.total_chunks).toBe(20);
    expect(chunks[1]!.raw).toBe(`data: ${JSON.stringify(chunks[1]!.data)}\n\n`);
    expect(chunks.at(-1)).toEqual({ delta_ms: 0, data: '[DONE]', raw: 'data: [DONE]\n\n' });
    expect(chunks[2]!.delta_ms).toBe(11.84);
    expect(text(t)).toBe('TraceForge records each streamed chunk with its timing, then replays it in CI.');
    // Its own response agreed with the chunks, so it is kept as given.
    expect(t.response).toEqual(seed('openai-chat-stream').response);
    expect(t.legacy?.schema_version).toBe('1.0.0');
  });

  it('an Anthropic stream: payload under `chunk`, `event:` lines, response rebuilt from the chunks', () => {
    const t = legacyToTrace(seed('anthropic-messages-stream'), 'a.json');
    expect(t.metadata).toMatchObject({ provider: 'anthropic', model: 'claude-sonnet-4-5' });
    expect(t.chunks).toHaveLength(15);
    expect(t.chunks!.some((c) => c.data === '[DONE]')).toBe(false);
    expect(t.chunks![3]!.raw).toBe(`event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Bonjour' } })}\n\n`);
    const s = summarize('anthropic', t.response);
    expect(s).toMatchObject({ text: 'Bonjour! Paris is the capital of France.', finish_reason: 'end_turn' });
    expect(s.usage).toMatchObject({ input_tokens: 19, output_tokens: 12 });
    expect(t.first_chunk_latency_ms).toBe(655.8);
    // The first content (the first text delta) arrives 2.41 + 0.88 + 38.2 ms after the first chunk.
    expect(t.first_content_latency_ms).toBe(697.29);
  });

  it('unknown extra fields are kept under legacy.fields; a full URL, epoch ms and nested metrics are understood', () => {
    const t = legacyToTrace(seed('openai-extra-fields'), 'x.json');
    expect(t.legacy?.fields).toMatchObject({ tags: ['docs', 'smoke'], session_id: 'sess-2025-01-17-a', environment: { traceforge: '0.3.2' }, metrics: { tokens_per_second: 93.1 } });
    expect(t.timestamp).toBe('2025-01-17T10:00:00.000Z');
    expect(t.endpoint).toBe('/v1/chat/completions');
    expect(t.metadata.upstream).toBe('https://api.openai.com');
    expect(t.first_chunk_latency_ms).toBe(388.04);
    // Chunks that were the provider payload with delta_ms added: delta_ms is not part of the replayed JSON.
    expect(t.chunks![1]!.data).not.toHaveProperty('delta_ms');
    expect(t.chunks![1]!.delta_ms).toBe(15.2);
    expect(text(t)).toBe('Use a cassette per test.');
  });

  it('variations: payload under `payload`, SSE text in `data`, bare text pieces, timing from timestamps', () => {
    const base = { schema_version: '1.0.0', id: 'var1', provider: 'openai', request: { model: 'm', stream: true, messages: [] } };
    const viaPayload = ok({ ...base, chunks: [{ delta_ms: 0, payload: { choices: [{ index: 0, delta: { content: 'Hi' } }] } }, { delta_ms: 5, payload: '[DONE]' }] });
    expect(text(viaPayload)).toBe('Hi');
    expect(viaPayload.chunks!.filter((c) => c.data === '[DONE]')).toHaveLength(1);

    const sseText = ok({ ...base, chunks: [{ delta_ms: 0, data: 'data: {"choices":[{"index":0,"delta":{"content":"Yo"}}]}' }] });
    expect(text(sseText)).toBe('Yo');

    // Only text, timed by wall-clock stamps: replayed as OpenAI chunks, gaps from the stamps.
    const pieces = ok({ schema_version: '1.0.0', chunks: [{ content: 'a', timestamp: 1700000000000 }, { content: 'b', timestamp: 1700000000025.5 }], model: 'gpt-x' });
    expect(pieces.metadata.provider).toBe('openai');
    expect(pieces.chunks!.map((c) => c.delta_ms)).toEqual([0, 25.5, 0]);
    expect(text(pieces)).toBe('ab');
    expect(pieces.id).toMatch(/^[0-9a-f]{12}$/);

    const claude = ok({ schema_version: '1.0.0', provider: 'anthropic', chunks: ['Bon', 'jour'] });
    expect(claude.chunks!.map((c) => c.event)).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    expect(text(claude)).toBe('Bonjour');

    const gemini = ok({ schema_version: '1.0.0', provider: 'gemini', model: 'gemini-2.5-flash', chunks: [{ content: 'Ciao' }, { content: '!' }] });
    expect(gemini.endpoint).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent');
    expect(gemini.http.url).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(gemini.chunks![0]!.raw.endsWith('\r\n\r\n')).toBe(true);
    expect(text(gemini)).toBe('Ciao!');
    const ollama = ok({ schema_version: '1.0.0', endpoint: '/api/chat', chunks: ['He', 'llo'] });
    expect(ollama.http.framing).toBe('ndjson');
    expect(ollama.chunks!.map((c) => c.raw.endsWith('}\n'))).toEqual([true, true, true]);
    expect(summarize('ollama', ollama.response)).toMatchObject({ text: 'Hello', finish_reason: 'stop' });

    // A time Date cannot hold, or none, is the epoch; an id that `trace view` could not take is replaced by a hash.
    const odd = ok({ ...base, id: 'a:b', timestamp: 1e300, chunks: [] });
    expect(odd.timestamp).toBe('1970-01-01T00:00:00.000Z');
    expect(odd.id).toMatch(/^[0-9a-f]{12}$/);

    // A first chunk timed from the request start gives the TTFB when none is given.
    const ttfb = ok({ ...base, chunks: [{ delta_ms: 300, data: { choices: [] } }] });
    expect(ttfb.first_chunk_latency_ms).toBe(300);
    expect(ttfb.chunks![0]!.delta_ms).toBe(0);
  });

  it('a non-streamed 1.0.0 trace: the body replays as one read, an error status is kept', () => {
    const t = ok({ schema_version: '1.0.0', id: 'ns1', endpoint: '/v1/chat/completions', request: { model: 'm', messages: [] }, response: { error: { message: 'slow down' } }, status_code: 429, duration_ms: 12 });
    expect(t.metadata).toMatchObject({ stream: false, status: 'error' });
    expect(t.http).toMatchObject({ status: 429, framing: 'raw', body: [{ delta_ms: 0, raw: '{"error":{"message":"slow down"}}' }] });
    // No TTFB given: the body arrives when the call ended, so a replay keeps the recorded length.
    expect(t.http.first_byte_ms).toBe(12);
  });

  it('secrets the old file kept are not carried over', () => {
    const t = ok({
      schema_version: '1.0.0',
      request: { headers: { Authorization: 'Bearer sk-proj-abcdefghijklmnopqrstuvwxyz0123456789', 'Content-Type': 'application/json' }, body: { model: 'm', stream: true, messages: [] } },
      chunks: [{ delta_ms: 0, data: { choices: [{ index: 0, delta: { content: 'key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789' } }] } }],
    });
    expect(JSON.stringify(t)).not.toContain('sk-proj-abcdefghijklmnopqrstuvwxyz0123456789');
    expect(t.http.request_headers.authorization).toBe('[REDACTED]');
  });

  it('only "1.x" string versions are legacy; what cannot be a trace is a one-line error', () => {
    expect(isLegacyTrace({ schema_version: 1 })).toBe(false);
    expect(isLegacyTrace({ schema_version: '1.0.0' })).toBe(true);
    const r = convertLegacyTrace({ schema_version: '1.0.0', chunks: [1, 2] }, 'bad.json');
    expect(r).toEqual({ ok: false, error: 'bad.json: schema 1.0.0 trace could not be read: $.chunks[0] must be an object or a string, got number' });
    expect(() => parseTrace('{"schema_version":"1.0.0","chunks":{}}', 'x.json')).toThrow(/^x\.json: schema 1\.0\.0 trace could not be read: \$\.chunks must be a list$/);
  });

  it('property: never throws on arbitrary JSON-ish objects with schema_version "1.0.0": a valid Trace or one line', () => {
    const chunk = fc.oneof(
      fc.jsonValue(),
      fc.record({ delta_ms: fc.oneof(fc.double(), fc.integer(), fc.string()), data: fc.jsonValue() }, { requiredKeys: [] }),
      fc.record({ delta_ms: fc.double({ min: 0, max: 1e4, noNaN: true }), chunk: fc.jsonValue(), event: fc.string() }, { requiredKeys: ['delta_ms'] }),
      fc.record({ content: fc.string(), timestamp: fc.oneof(fc.integer(), fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())) }, { requiredKeys: [] }),
    );
    const legacy = fc
      .record(
        {
          id: fc.oneof(fc.string(), fc.integer(), fc.jsonValue()),
          timestamp: fc.oneof(fc.string(), fc.integer(), fc.double()),
          provider: fc.oneof(fc.constantFrom('openai', 'anthropic', 'ollama', 'gemini', 'OpenAI', 'x'), fc.jsonValue()),
          model: fc.jsonValue(),
          endpoint: fc.oneof(fc.constantFrom('/v1/chat/completions', '/v1/messages', 'https://api.openai.com/v1/responses', '/api/chat', 'http://[bad', ''), fc.string(), fc.jsonValue()),
          request: fc.jsonValue(),
          response: fc.jsonValue(),
          chunks: fc.oneof(fc.array(chunk, { maxLength: 8 }), fc.jsonValue()),
          status: fc.oneof(fc.constantFrom('success', 'error', 200, 500, 99, '404'), fc.jsonValue()),
          duration_ms: fc.jsonValue(),
          streaming: fc.oneof(fc.boolean(), fc.dictionary(fc.constantFrom('first_chunk_latency_ms', 'stream_duration_ms', 'total_chunks'), fc.jsonValue())),
          extra: fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
        },
        { requiredKeys: [] },
      )
      .map((o) => ({ ...o, schema_version: '1.0.0' }));
    const seen = { ok: 0, error: 0 };
    fc.assert(
      fc.property(legacy, (v) => {
        let r: ReturnType<typeof convertLegacyTrace>;
        expect(() => (r = convertLegacyTrace(v, 'p.json'))).not.toThrow();
        seen[r!.ok ? 'ok' : 'error']++;
        if (r!.ok) expect(findTraceProblems(r!.trace)).toEqual([]);
        else {
          expect(r!.error).not.toMatch(/[\r\n]/);
          expect(r!.error.startsWith('p.json: ')).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
    // Both answers happen: the property is not passing on one branch only.
    expect(seen.ok).toBeGreaterThan(50);
    expect(seen.error).toBeGreaterThan(5);
  });
});
