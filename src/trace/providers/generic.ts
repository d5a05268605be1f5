/**
 * Anything we do not recognise by path. Nothing is rebuilt: a non-stream response is the body, a
 * stream's is the list of its parsed events. `summarize` still recognises the common shapes, since
 * OpenAI-compatible servers often live behind custom paths.
 */
import * as anthropic from './anthropic.js';
import {
  asArray,
  asRecord,
  bodyError,
  clone,
  emptySummary,
  isRecord,
  requestModel,
  str,
  streamError,
  type ProviderInput,
  type ProviderResult,
  type ResponseSummary,
} from './common.js';
import * as gemini from './gemini.js';
import * as ollama from './ollama.js';
import * as openaiChat from './openai-chat.js';
import * as openaiResponses from './openai-responses.js';

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

/** Summarise by shape: chat completion, Responses, Anthropic message, Gemini, Ollama; a bare string is the text. */
export function summarize(response: unknown): ResponseSummary {
  if (typeof response === 'string') return { ...emptySummary(), text: response };
  const r = asRecord(response);
  if (Array.isArray(r['choices'])) return openaiChat.summarize(response);
  if (r['object'] === 'response' || Array.isArray(r['output'])) return openaiResponses.summarize(response);
  if (r['type'] === 'message' && Array.isArray(r['content'])) return anthropic.summarize(response);
  if (Array.isArray(r['candidates']) || (Array.isArray(response) && isRecord(response[0]) && Array.isArray(response[0]['candidates']))) return gemini.summarize(response);
  if (isRecord(r['message']) || typeof r['response'] === 'string') return ollama.summarize(response);
  const text = str(r['text']) ?? str(r['content']) ?? asArray(response).filter((x): x is string => typeof x === 'string').join('');
  return { ...emptySummary(), text };
}
