import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectationsFor, sdkChunkCount } from '../../src/gen/expectations.js';
import { renderTemplate } from '../../src/gen/template-engine.js';
import { BUILTIN_TEMPLATES_DIR, TEMPLATE_SUFFIX } from '../../src/gen/templates.js';
import { buildView, testTitle, type GenClock, type Timing } from '../../src/gen/view.js';
import type { Trace } from '../../src/trace/types.js';
import { makeAnthropicStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';

const view = (trace: Trace, timing: Timing = 'instant', sdkPath?: string, clock?: GenClock) =>
  buildView({ trace, expect: expectationsFor(trace), cassetteUrl: '../fixtures/x.yaml', timing, sdkPath, ...(clock ? { clock } : {}) });

describe('expectations', () => {
  it('count what each SDK yields: openai drops [DONE], Anthropic drops ping', () => {
    const openai = makeOpenAIStreamTrace({ text: 'One two three.' });
    expect(openai.total_chunks).toBe(7); // role, 3 tokens, finish, usage, [DONE]
    expect(sdkChunkCount(openai)).toBe(6);
    expect(expectationsFor(openai).chunkCount).toBe(7);
    const anthropic = makeAnthropicStreamTrace({ text: 'One two.' });
    expect(anthropic.chunks!.filter((c) => c.event === 'ping')).toHaveLength(1);
    expect(sdkChunkCount(anthropic)).toBe(anthropic.total_chunks! - 1);
  });

  it('take text, tool calls with parsed arguments and the finish reason from the recorded response', () => {
    const trace = makeOpenAIStreamTrace({ text: 'Checking.', toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}' }], firstChunkLatencyMs: 312.46 });
    const e = expectationsFor(trace);
    expect(e).toMatchObject({ text: 'Checking.', toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }], finishReason: 'tool_calls', ttfbMs: 312.5 });
  });

  it('time what a virtual-clock replay hands over: the first chunk the SDK yields, the first bytes, the last chunk', () => {
    // role, One, two., finish, usage, [DONE]
    const openai = makeOpenAIStreamTrace({ text: 'One two.', gaps: [0, 1.25, 2.5, 3.125, 4, 100.001], firstChunkLatencyMs: 61.7 });
    expect(expectationsFor(openai)).toMatchObject({ replayedFirstChunkMs: 61.7, replayedFirstBytesMs: 61.7, replayedLastChunkMs: 172.576 });
    // Anthropic's SDK does not hand over a leading ping: its first event is the one after it.
    const anthropic = makeAnthropicStreamTrace({ text: 'Hi.' });
    const ping = anthropic.chunks!.findIndex((c) => c.event === 'ping');
    anthropic.chunks = [anthropic.chunks![ping]!, ...anthropic.chunks!.filter((_, i) => i !== ping)];
    anthropic.chunks.forEach((c, i) => (c.delta_ms = i === 0 ? 0 : 10));
    anthropic.first_chunk_latency_ms = 5;
    const e = expectationsFor(anthropic);
    expect(e.replayedFirstBytesMs).toBe(5);
    expect(e.replayedFirstChunkMs).toBe(15);
    expect(e.replayedLastChunkMs).toBe(5 + 10 * (anthropic.chunks.length - 1));
  });
});

describe('buildView', () => {
  it('splits the endpoint into the base URL the SDK needs and keeps non-secret query parameters', () => {
    const trace = makeOpenAIStreamTrace();
    trace.endpoint = '/openai/v1/chat/completions';
    trace.http.url = '/openai/v1/chat/completions?api-version=2024-10-21&api_key=[REDACTED]';
    const v = view(trace, 'instant', '/chat/completions');
    expect(v.basePath).toBe('/openai/v1');
    expect(v.baseUrl).toBe('`${cassette.url}/openai/v1`');
    expect(v.requestPath).toBe('/openai/v1/chat/completions?api-version=2024-10-21');
    expect(v.hasQuery).toBe(true);
    expect(renderTemplate('q = {{defaultQuery}};', v, 't')).toBe("q = { 'api-version': '2024-10-21' };\n");
    expect(view(makeAnthropicStreamTrace(), 'instant', '/v1/messages').baseUrl).toBe('cassette.url');
  });

  it('names the test after what was asked and what it called', () => {
    const asked = [{ role: 'user', content: 'What is the weather in Paris?' }];
    expect(testTitle(makeOpenAIStreamTrace({ messages: asked }), expectationsFor(makeOpenAIStreamTrace()))).toBe('answers "What is the weather in Paris?"');
    const tools = makeOpenAIStreamTrace({ messages: asked, toolCalls: [{ id: 'a', name: 'get_weather', arguments: '{}' }, { id: 'b', name: 'get_time', arguments: '{}' }] });
    expect(testTitle(tools, expectationsFor(tools))).toBe('calls get_weather and get_time for "What is the weather in Paris?"');
    const none = makeOpenAIStreamTrace();
    none.request = { model: 'x', stream: true };
    expect(testTitle(none, expectationsFor(none))).toBe('replays POST /v1/chat/completions');
  });

  it('keeps recorded values from breaking out of the comments and strings they land in', () => {
    const trace = makeOpenAIStreamTrace({ model: 'gpt\nprocess.exit(1)//' });
    trace.metadata.model = 'gpt\nprocess.exit(1)//';
    trace.endpoint = '/v1/`${process.exit(1)}`/chat/completions';
    trace.http.url = trace.endpoint;
    const v = view(trace, 'instant', '/chat/completions');
    expect(v.call).toBe('POST /v1/`${process.exit(1)}`/chat/completions, gpt process.exit(1)//');
    const baseUrl = new Function('cassette', `return ${String(v.baseUrl)};`) as (c: { url: string }) => string;
    expect(baseUrl({ url: 'http://127.0.0.1:1' })).toBe('http://127.0.0.1:1/v1/`${process.exit(1)}`');
  });

  it('widens the timing tolerances for long calls', () => {
    const long = makeOpenAIStreamTrace({ firstChunkLatencyMs: 1200 });
    long.metadata.duration_ms = 4000;
    expect([view(long).ttfbToleranceMs, view(long).durationToleranceMs]).toEqual([300, 400]);
    const short = makeOpenAIStreamTrace({ firstChunkLatencyMs: 80 });
    short.metadata.duration_ms = 200;
    expect([view(short).ttfbToleranceMs, view(short).durationToleranceMs]).toEqual([100, 150]);
  });
});

describe('built-in templates', () => {
  const cases: Array<[string, Trace, string?]> = [
    ['openai', makeOpenAIStreamTrace({ toolCalls: [{ id: 'c', name: 'f', arguments: '{"a":1}' }] }), '/chat/completions'],
    ['openai-responses', makeOpenAIStreamTrace(), '/responses'],
    ['anthropic', makeAnthropicStreamTrace(), '/v1/messages'],
    ['fetch', makeOpenAIStreamTrace()],
  ];
  for (const [name, trace, sdkPath] of cases) {
    it(`${name}: renders formatted, with timing code only when asked for`, async () => {
      const template = await readFile(join(BUILTIN_TEMPLATES_DIR, `${name}${TEMPLATE_SUFFIX}`), 'utf8');
      const instant = renderTemplate(template, view(trace, 'instant', sdkPath), name);
      const recorded = renderTemplate(template, view(trace, 'recorded', sdkPath), name);
      for (const out of [instant, recorded]) {
        expect(out).not.toMatch(/\{\{|\}\}/);
        expect(out).not.toMatch(/[ \t]$/m);
        expect(out).not.toMatch(/\n\n\n/);
        expect(out.endsWith('});\n')).toBe(true);
        expect(out).toContain("from 'traceforge/vitest'");
        expect(out.split('\n').filter((l) => l.length > 120)).toEqual([]);
      }
      const wall = renderTemplate(template, view(trace, 'recorded', sdkPath, 'wall'), name);
      for (const out of [instant, recorded, wall]) {
        expect(out).not.toMatch(/\{\{|\}\}/);
        expect(out).not.toMatch(/[ \t]$/m);
        expect(out).not.toMatch(/\n\n\n/);
        expect(out.split('\n').filter((l) => l.length > 120)).toEqual([]);
      }
      expect(instant).not.toMatch(/TOLERANCE|performance\.now|Ms\b|lateness|clock/);
      expect(instant).toContain('useCassette(fixture, { speed: 0 })');
      // --timing recorded: the virtual clock, the replay's own offsets, checked to 0.01 ms.
      expect(recorded).toContain("useCassette(fixture, { clock: 'virtual' })");
      expect(recorded.indexOf('const TOLERANCE_MS = 0.01;')).toBeLessThan(recorded.indexOf('useCassette('));
      const e = expectationsFor(trace);
      expect(recorded).toContain(`const RECORDED_FIRST_CHUNK_MS = ${name === 'fetch' ? e.replayedFirstBytesMs : e.replayedFirstChunkMs};`);
      expect(recorded).toContain(`const RECORDED_END_MS = ${e.replayedLastChunkMs};`);
      expect(recorded).not.toMatch(/TTFB_TOLERANCE_MS|lateness|LatenessSummary/);
      // --clock wall: today's tolerances, and a failure that says when the machine was too busy.
      expect(wall).toContain('useCassette(fixture, { speed: 1 })');
      expect(wall.indexOf('const TTFB_TOLERANCE_MS = 100;')).toBeLessThan(wall.indexOf('useCassette('));
      expect(wall).toMatch(/RECORDED_TTFB_MS = 312\.5;/);
      expect(wall).toContain("import { useCassette, type LatenessSummary } from 'traceforge/vitest';");
      expect(wall).toContain('const busy = busyMachine(cassette.lateness());');
      expect(wall).toContain("the machine was too busy for wall-clock timing");
      expect(wall).not.toContain('const TOLERANCE_MS');
    });
  }
});
