/**
 * Provider detection and response reconstruction. A recorded stream is a list of events; tools,
 * diffs and generated tests want the single response the provider would have returned without
 * streaming. Each provider's shape lives in its own module under `providers/`. Pure: no I/O.
 */
import type { Provider } from './types.js';
import * as anthropic from './providers/anthropic.js';
import * as bedrock from './providers/bedrock.js';
import * as cohere from './providers/cohere.js';
import type { ProviderInput, ProviderResult, ResponseSummary, StreamChunk } from './providers/common.js';
import * as generic from './providers/generic.js';
import * as gemini from './providers/gemini.js';
import * as ollama from './providers/ollama.js';
import * as openaiChat from './providers/openai-chat.js';
import * as openaiResponses from './providers/openai-responses.js';

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

interface ProviderModule {
  reconstruct(input: ProviderInput): ProviderResult;
  summarize(response: unknown): ResponseSummary;
}

const MODULES: Record<Provider, ProviderModule> = {
  openai: openaiChat,
  'openai-responses': openaiResponses,
  anthropic,
  gemini,
  ollama,
  bedrock,
  cohere,
  unknown: generic,
};

const OLLAMA_API = /(?:^|\/)api\/(?:chat|generate|embed|embeddings|tags|show|pull|push|create|copy|delete|ps|version)$/;
const OPENAI_PATHS = /\/(?:chat\/completions|completions|embeddings|moderations|models(?:\/[^/]+)?|images\/[a-z]+|audio\/[a-z]+)$/;
/** Anthropic's Messages API served by Vertex AI: the model in the path, the version in the body. */
const VERTEX_ANTHROPIC = /\/publishers\/anthropic\/models\/[^/]+:(?:streamRawPredict|rawPredict|countTokens)$/;

/** What a call's own bodies say about its protocol, beside its path. */
export interface ProtocolEvidence {
  /** Parsed JSON request body. */
  request?: unknown;
  /** Stream events (their parsed `data`). */
  chunks?: ReadonlyArray<StreamChunk>;
  /** A non-stream body, parsed. */
  body?: unknown;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The protocol a call's bodies are written in, whatever host or path served it: Anthropic's
 * request carries `anthropic_version` off api.anthropic.com (Vertex, Bedrock's invoke) and its
 * stream opens with `message_start`; OpenAI chat chunks say `chat.completion.chunk`; Responses
 * events are `response.*`; Gemini's chunks carry `candidates`. Undefined when they say nothing.
 */
export function protocolFromBodies(e: ProtocolEvidence): Provider | undefined {
  if (isObj(e.request) && typeof e.request['anthropic_version'] === 'string') return 'anthropic';
  const first = e.chunks?.find((c) => isObj(c.data))?.data ?? (Array.isArray(e.body) ? e.body[0] : e.body);
  if (!isObj(first)) return undefined;
  const type = typeof first['type'] === 'string' ? first['type'] : '';
  if (type === 'message_start' || (type === 'message' && first['role'] === 'assistant' && Array.isArray(first['content']))) return 'anthropic';
  if (type.startsWith('response.') && isObj(first['response'])) return 'openai-responses';
  if (first['object'] === 'chat.completion.chunk' || first['object'] === 'chat.completion') return 'openai';
  if (Array.isArray(first['candidates'])) return 'gemini';
  return undefined;
}

/**
 * Which provider's API a call went to: its path first where the path is a provider's own (Bedrock,
 * Cohere, Anthropic on Vertex), then what its bodies say (see protocolFromBodies), then the path
 * rules, with request headers as a tie-breaker for paths several providers share (`/v1/models`).
 * @example detectProvider('/v1beta/models/gemini-2.0-flash:streamGenerateContent') // 'gemini'
 */
export function detectProvider(endpoint: string, requestHeaders: Record<string, string> = {}, evidence: ProtocolEvidence = {}): Provider {
  const path = (endpoint.split('?')[0] ?? '').replace(/\/+$/, '');
  if (bedrock.isBedrockPath(path)) return 'bedrock';
  if (cohere.isCoherePath(path)) return 'cohere';
  if (VERTEX_ANTHROPIC.test(path)) return 'anthropic';
  const byBody = protocolFromBodies(evidence);
  if (byBody) return byBody;
  if (/:(?:stream)?[gG]enerateContent$|:(?:countTokens|embedContent|batchEmbedContents)$/.test(path)) return 'gemini';
  if (/\/responses(?:\/|$)/.test(path)) return 'openai-responses';
  // Assistants threads also have `/messages`; they are OpenAI, not Anthropic.
  if (/\/messages(?:\/count_tokens|\/batches(?:\/.*)?)?$/.test(path) && !/\/threads\//.test(path)) return 'anthropic';
  if (/\/(?:chat\/completions|completions|embeddings)$/.test(path)) return 'openai';
  if (OLLAMA_API.test(path)) return 'ollama';
  if (requestHeaders['anthropic-version'] !== undefined) return 'anthropic';
  if (requestHeaders['x-goog-api-key'] !== undefined || /\/v1(?:alpha|beta)\d*\//.test(path)) return 'gemini';
  if (OPENAI_PATHS.test(path)) return 'openai';
  return 'unknown';
}

/**
 * Rebuild the provider's non-stream response from a recorded call.
 * @example
 * const rec = reconstruct({ endpoint: '/v1/messages', request, status: 200, stream: true, chunks });
 * rec.response // { type: 'message', content: [...], stop_reason: 'end_turn', usage: {...} }
 */
export function reconstruct(input: ReconstructInput): Reconstruction {
  const endpoint = input.endpoint || (input.url ?? '').split('?')[0] || '';
  const evidence = { request: input.request, chunks: input.chunks, body: input.body };
  const provider = detectProvider(endpoint, input.requestHeaders, evidence);
  let module = MODULES[provider];
  // Other OpenAI streams (audio, images) have no chat shape to rebuild: keep their events.
  if (provider === 'openai' && input.stream && !/\/completions$/.test(endpoint) && protocolFromBodies(evidence) !== 'openai') module = generic;
  const result = module.reconstruct({ ...input, endpoint });
  const out: Reconstruction = { provider, model: result.model, response: result.response, firstContentIndex: result.firstContentIndex };
  if (result.error !== undefined) out.error = result.error;
  return out;
}

/**
 * A provider-neutral view of a response (text, tool calls with parsed arguments, finish reason,
 * usage, reasoning). Never throws: unknown shapes give an empty summary.
 */
export function summarize(provider: Provider, response: unknown): ResponseSummary {
  return (MODULES[provider] ?? generic).summarize(response);
}
