/**
 * Provider detection and response reconstruction. A recorded stream is a list of events; tools,
 * diffs and generated tests want the single response the provider would have returned without
 * streaming. Each protocol's knowledge lives in its module under `providers/`, listed once in
 * `providers/registry.ts`; this file is the entry the rest of TraceForge calls. Pure: no I/O.
 */
import type { Provider } from './types.js';
import type { ResponseSummary, StreamChunk } from './providers/common.js';
import { recognise, summarize as summarizeBy, type ProtocolModule } from './providers/registry.js';

export type { ResponseSummary, StreamChunk, ToolCallSummary, UsageSummary } from './providers/common.js';

export interface ReconstructInput {
  /** Path without query, e.g. `/v1/chat/completions`. */
  endpoint: string;
  /** Path and query (Gemini puts `?alt=sse` there and the model in the path). */
  url?: string;
  /** Parsed JSON request body, or null. */
  request: unknown;
  /** Lower-cased request headers; `anthropic-version` and `x-goog-api-key` help detection. */
  requestHeaders?: Record<string, string>;
  /** The upstream's base URL or host (`https://bedrock-runtime.us-east-1.amazonaws.com`): helps detection. */
  upstream?: string;
  /** The response's content-type: helps detection (`application/vnd.amazon.eventstream`). */
  contentType?: string;
  status: number;
  /** True when the body was framed as SSE or NDJSON. */
  stream: boolean;
  /** Stream events; `data` is parsed JSON when it parsed, else the string (e.g. `[DONE]`). */
  chunks: ReadonlyArray<StreamChunk>;
  /** Non-stream body: parsed JSON, or the string when it is not JSON. */
  body?: unknown;
}

export interface Reconstruction {
  provider: Provider;
  model: string | null;
  /** The provider's non-stream response shape rebuilt from the chunks, or the body as-is for a non-stream call. */
  response: unknown;
  /** Index into `chunks` of the first event carrying content (text, tool call, reasoning); null when none did. */
  firstContentIndex: number | null;
  /** Provider error found in the stream or body, e.g. an Anthropic `error` event after a 200. */
  error?: string;
}

/** What a call's own bodies (and its upstream and content type) say about its protocol, beside its path. */
export interface ProtocolEvidence {
  /** Parsed JSON request body. */
  request?: unknown;
  /** Stream events (their parsed `data`). */
  chunks?: ReadonlyArray<StreamChunk>;
  /** A non-stream body, parsed. */
  body?: unknown;
  /** Upstream base URL or host. */
  upstream?: string;
  contentType?: string;
}

/** `api.openai.com` from `https://api.openai.com/v1`, `host:port` when the port is not the default. */
function hostOf(upstream: string | undefined): string | undefined {
  if (!upstream) return undefined;
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(upstream) ? upstream : `http://${upstream}`).host.toLowerCase();
  } catch {
    return undefined;
  }
}

/** The protocol module for a call (see registry.ts recognise). */
export function protocolFor(endpoint: string, requestHeaders: Record<string, string> = {}, evidence: ProtocolEvidence = {}): ProtocolModule {
  const [rawPath = '', query = ''] = endpoint.split('?');
  const path = rawPath.replace(/\/+$/, '');
  return recognise({ path, query, headers: requestHeaders, host: hostOf(evidence.upstream), contentType: evidence.contentType, request: evidence.request, chunks: evidence.chunks, body: evidence.body });
}

/**
 * Which provider's API a call went to, from its path, headers, upstream host, content type and its
 * bodies' own shape together (see providers/protocol.ts STRENGTH).
 * @example detectProvider('/v1beta/models/gemini-2.0-flash:streamGenerateContent') // 'gemini'
 */
export function detectProvider(endpoint: string, requestHeaders: Record<string, string> = {}, evidence: ProtocolEvidence = {}): Provider {
  return protocolFor(endpoint, requestHeaders, evidence).provider;
}

/**
 * Rebuild the provider's non-stream response from a recorded call.
 * @example
 * const rec = reconstruct({ endpoint: '/v1/messages', request, status: 200, stream: true, chunks });
 * rec.response // { type: 'message', content: [...], stop_reason: 'end_turn', usage: {...} }
 */
export function reconstruct(input: ReconstructInput): Reconstruction {
  const endpoint = input.endpoint || (input.url ?? '').split('?')[0] || '';
  const query = (input.url ?? '').split('?')[1];
  const module = protocolFor(query ? `${endpoint}?${query}` : endpoint, input.requestHeaders, input);
  const result = module.reconstruct({ ...input, endpoint });
  const out: Reconstruction = { provider: module.provider, model: result.model, response: result.response, firstContentIndex: result.firstContentIndex };
  if (result.error !== undefined) out.error = result.error;
  return out;
}

/**
 * A provider-neutral view of a response (text, tool calls with parsed arguments, finish reason,
 * usage, reasoning). Never throws: unknown shapes give an empty summary.
 */
export function summarize(provider: Provider, response: unknown): ResponseSummary {
  return summarizeBy(provider, response);
}
