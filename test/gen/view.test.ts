import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectationsFor, sdkChunkCount } from '../../src/gen/expectations.js';
import { renderTemplate } from '../../src/gen/template-engine.js';
import { BUILTIN_TEMPLATES_DIR, TEMPLATE_SUFFIX } from '../../src/gen/templates.js';
import { buildView, testTitle, type Timing } from '../../src/gen/view.js';
import type { Trace } from '../../src/trace/types.js';
import { makeAnthropicStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';

const view = (trace: Trace, timing: Timing = 'instant', sdkPath?: string) =>
  buildView({ trace, expect: expectationsFor(trace), cassetteUrl: '../fixtures/x.yaml', timing, sdkPath });

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
      expect(instant).not.toMatch(/TOLERANCE|performance\.now|Ms\b/);
      expect(instant).toContain('{ speed: 0 }');
      expect(recorded).toContain('{ speed: 1 }');
      // The tolerances are parameters at the top, before anything runs.
      expect(recorded.indexOf('const TTFB_TOLERANCE_MS = 100;')).toBeLessThan(recorded.indexOf('useCassette('));
      expect(recorded).toMatch(/RECORDED_TTFB_MS = 312\.5;/);
    });
  }
});
