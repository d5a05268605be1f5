/**
 * The fallback for traffic no module recognises. Nothing is rebuilt: a non-stream response is the body,
 * a stream's is the list of its parsed events. Its faults are the OpenAI-style ones most compatible
 * servers send; the registry summarises its responses by shape (see registry.ts summarize).
 */
import {
  asArray,
  asRecord,
  bodyError,
  clone,
  emptySummary,
  requestModel,
  str,
  streamError,
  type ProviderInput,
  type ProviderResult,
  type ResponseSummary,
} from './common.js';
import { sseEventBytes, statusWords } from './fault-text.js';
import type { ChunkRole, ProtocolModule } from './protocol.js';

export function reconstruct(input: ProviderInput): ProviderResult {
  const fallbackModel = requestModel(input.request);
  if (!input.stream) {
    const r: ProviderResult = { model: str(asRecord(input.body)['model']) ?? fallbackModel, response: input.body ?? null, firstContentIndex: null };
    const error = bodyError(input.status, input.body);
    return error ? { ...r, error } : r;
  }
  const response = clone(input.chunks.map((c) => c.data).filter((d) => d !== undefined));
  let error = streamError(input.chunks);
  if (!error && input.status >= 400) error = `HTTP ${input.status}`;
  // Without knowing the shape, the first event that has data is the best guess at first content.
  const first = input.chunks.findIndex((c) => c.data !== undefined && c.data !== '');
  const r: ProviderResult = { model: fallbackModel, response, firstContentIndex: first < 0 ? null : first };
  return error ? { ...r, error } : r;
}

/** A bare string is the text; else `text` or `content`, or the strings of a list. */
export function summarize(response: unknown): ResponseSummary {
  if (typeof response === 'string') return { ...emptySummary(), text: response };
  const r = asRecord(response);
  const text = str(r['text']) ?? str(r['content']) ?? asArray(response).filter((x): x is string => typeof x === 'string').join('');
  return { ...emptySummary(), text };
}

/** An SSE `[DONE]` data line ends many OpenAI-compatible streams. */
export const isDone = (data: unknown): boolean => typeof data === 'string' && data.trim() === '[DONE]';

/** Formats without a rule: a `[DONE]` data line is still a terminator. */
function roles(chunks: readonly { data?: unknown }[]): ChunkRole[] {
  return chunks.map((c) => (isDone(c.data) ? { terminator: true } : {}));
}

/** An OpenAI-style error body: what most compatible servers send and their SDKs read. */
export function openaiStyleStatusBody(status: number): string {
  const [type, message] = statusWords(status);
  return JSON.stringify({ error: { message, type: type === 'api_error' ? 'server_error' : type, param: null, code: null } });
}

export const protocol: ProtocolModule = {
  id: 'generic',
  provider: 'unknown',
  label: 'Any other HTTP API',
  recognise: () => 0,
  framing: 'sse',
  reconstruct,
  summarize,
  roles,
  piece(chunk) {
    const d = chunk.data;
    if (typeof d === 'string') return { label: d.length > 40 ? `${d.slice(0, 40)}…` : d };
    const type = asRecord(d)['type'];
    if (typeof type === 'string') return { label: type };
    if (chunk.partial) return { label: 'partial frame' };
    return { label: chunk.event ?? (chunk.comments?.length ? `: ${chunk.comments[0]}` : 'event') };
  },
  statusBody: openaiStyleStatusBody,
  errorEvent: (ctx) =>
    sseEventBytes(ctx, { error: { message: 'The server had an error while processing your request. (TraceForge fault)', type: 'server_error', param: null, code: null } }),
};
