/**
 * The placeholder values a template is rendered with. Values that land in code are TypeScript
 * source (strings already quoted); values meant for comments are one line of plain text. Pure.
 * The placeholder table in docs/gen.md documents every key of {@link GenView}.
 */
import type { Trace } from '../trace/types.js';
import type { Expectations } from './expectations.js';
import { firstUserMessage, shorten } from './slug.js';
import { printValue, stringLiteral } from './ts-literal.js';
import type { Placement, TemplateView } from './template-engine.js';
import { CREDENTIAL_QUERY_PARAMS } from '../trace/redact.js';

export type Timing = 'recorded' | 'instant';
/**
 * The clock a `--timing recorded` test replays on. `virtual` (default): in-process, on a fake clock the
 * tape drives, so the SDK sees every chunk at its recorded time exactly, whatever the machine's load,
 * and the test asserts that to 0.01 ms. `wall`: the replay server's real-time pacing, with tolerances.
 */
export type GenClock = 'virtual' | 'wall';

/**
 * Default timing tolerances for a `--timing recorded` test: the replay itself keeps within a
 * millisecond, but the client's side (the first fetch loading undici, a busy CI machine) adds tens
 * of milliseconds. Long calls get a share of their recorded time instead.
 */
export function timingTolerances(ttfbMs: number, durationMs: number): { ttfbMs: number; durationMs: number } {
  return { ttfbMs: Math.max(100, Math.round(ttfbMs / 4)), durationMs: Math.max(150, Math.round(durationMs / 10)) };
}

export interface ViewInput {
  trace: Trace;
  expect: Expectations;
  /** Cassette path relative to the test file, `/`-separated, e.g. `../fixtures/say-hello.yaml`. */
  cassetteUrl: string;
  timing: Timing;
  /** Clock of a `timing: 'recorded'` test. Default `virtual`. */
  clock?: GenClock;
  /** Path the template's SDK appends to its base URL (`/chat/completions`); the rest of the endpoint is the base path. */
  sdkPath?: string;
}

export type GenView = TemplateView;

// Query parameters that carry credentials: the replay matcher ignores them and they are redacted anyway.

/** Text for inside a template literal: no backticks or `${` can break out of it. */
const inTemplateLiteral = (s: string) => s.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
/** One line for a `//` comment. */
const oneLine = (s: string) => s.replace(/[\r\n\u2028\u2029]+/g, ' ');
const value = (v: unknown) => (at: Placement) => printValue(v, at);

function splitQuery(url: string): { path: string; query: Record<string, string> } {
  const q = url.indexOf('?');
  const query: Record<string, string> = {};
  if (q >= 0) for (const [k, v] of new URLSearchParams(url.slice(q + 1))) if (!CREDENTIAL_QUERY_PARAMS.has(k.toLowerCase())) query[k] = v;
  return { path: q < 0 ? url : url.slice(0, q), query };
}

/** `answers "What is…"`, `calls get_weather for "…"`, or the endpoint when nothing was asked. */
export function testTitle(trace: Trace, expect: Expectations): string {
  const asked = firstUserMessage(trace.request);
  const tools = [...new Set(expect.toolCalls.map((c) => c.name))];
  if (!asked) return `replays ${trace.http.method} ${trace.endpoint}`;
  const quoted = `"${shorten(asked)}"`;
  return tools.length ? `calls ${tools.join(' and ')} for ${quoted}` : `answers ${quoted}`;
}

/** The options a template passes to useCassette, as code: `{ speed: 0 }`, `{ clock: 'virtual' }`, `{ speed: 1 }`. */
function cassetteOptions(timing: Timing, clock: GenClock): string {
  if (timing !== 'recorded') return '{ speed: 0 }';
  return clock === 'virtual' ? "{ clock: 'virtual' }" : '{ speed: 1 }';
}

export function buildView({ trace, expect, cassetteUrl, timing, clock = 'virtual', sdkPath }: ViewInput): GenView {
  const { path, query } = splitQuery(trace.http.url);
  const basePath = sdkPath && path.endsWith(sdkPath) ? path.slice(0, -sdkPath.length) : '';
  const requestPath = Object.keys(query).length ? `${path}?${new URLSearchParams(query)}` : path;
  const model = trace.metadata.model ?? 'unknown model';
  const tolerance = timingTolerances(expect.ttfbMs, expect.durationMs);
  return {
    testName: stringLiteral(testTitle(trace, expect)),
    cassettePath: stringLiteral(cassetteUrl),
    speed: timing === 'recorded' ? 1 : 0,
    cassetteOptions: cassetteOptions(timing, clock),
    timing: timing === 'recorded',
    virtualClock: timing === 'recorded' && clock === 'virtual',
    wallClock: timing === 'recorded' && clock === 'wall',
    request: value(trace.request),
    method: stringLiteral(trace.http.method),
    status: trace.http.status,
    endpoint: stringLiteral(trace.endpoint),
    basePath: inTemplateLiteral(basePath),
    baseUrl: basePath ? `\`\${cassette.url}${inTemplateLiteral(basePath)}\`` : 'cassette.url',
    requestPath: inTemplateLiteral(requestPath),
    hasQuery: Object.keys(query).length > 0,
    defaultQuery: value(query),
    sse: trace.http.framing === 'sse',
    ndjson: trace.http.framing === 'ndjson',
    expectedText: value(expect.text),
    expectedToolCalls: value(expect.toolCalls),
    hasToolCalls: expect.toolCalls.length > 0,
    expectedFinishReason: value(expect.finishReason),
    chunkCount: expect.chunkCount,
    sdkChunkCount: expect.sdkChunkCount,
    recordedTtfbMs: expect.ttfbMs,
    recordedDurationMs: expect.durationMs,
    recordedFirstChunkMs: expect.replayedFirstChunkMs,
    recordedFirstBytesMs: expect.replayedFirstBytesMs,
    recordedEndMs: expect.replayedLastChunkMs,
    ttfbToleranceMs: tolerance.ttfbMs,
    durationToleranceMs: tolerance.durationMs,
    traceId: oneLine(trace.id),
    provider: oneLine(trace.metadata.provider),
    model: oneLine(model),
    // A first-TraceForge trace: the generated header should not let "byte for byte" pass unqualified.
    call: oneLine(`${trace.http.method} ${trace.endpoint}, ${model}${trace.http.synthesized ? `; from a schema ${trace.legacy?.schema_version ?? '1.0.0'} trace of the first TraceForge, whose framing the cassette synthesises` : ''}`),
  };
}
