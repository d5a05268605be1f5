/**
 * OpenAI Chat Completions (`/chat/completions` under any prefix, which also covers Azure, Ollama's
 * and most other OpenAI-compatible servers, whatever their host, by the chunks' own `object`).
 * Streams are data-only SSE ending with `[DONE]`; the rebuilt object is what the same request with
 * `stream: false` returns. Legacy Completions share the merge (openai-completions.ts). OpenAI's other
 * APIs (models, embeddings, images, audio) are recognised here too; their streams are kept as events.
 */
import {
  asArray,
  asRecord,
  bodyError,
  clone,
  emptySummary,
  firstIndex,
  isRecord,
  nonEmpty,
  num,
  requestModel,
  str,
  streamError,
  toolArgs,
  usage,
  type Json,
  type ProviderInput,
  type ProviderResult,
  type ResponseSummary,
  type StreamChunk,
} from './common.js';
import * as generic from './generic.js';
import { mergeObject, mergeParts, partsReasoning, partsText } from './merge.js';
import { STRENGTH, type CallEvidence, type ChunkPiece, type ChunkRole, type ProtocolModule } from './protocol.js';
import type { TraceChunk } from '../types.js';

interface ToolCallAcc {
  index: number;
  id?: string;
  type?: string;
  name?: string;
  args: string;
}

interface ChoiceAcc {
  index: number;
  message: Json;
  /** Content pieces in order: strings as `{type:'text'}` parts, merged with the parts of array deltas. */
  content: unknown[] | null;
  /** Some delta sent `content` as an array of parts (Mistral's thinking): the message keeps the parts. */
  contentParts: boolean;
  refusal: string[] | null;
  toolCalls: ToolCallAcc[];
  functionCall?: { name?: string; args: string };
  logprobs: { content: unknown[] | null; refusal: unknown[] | null } | null;
  finishReason: unknown;
  /** Choice fields beyond the spec (OpenRouter's native_finish_reason), merged by kind like the message's. */
  extra: Json;
  /** The last cumulative snapshot of the message, when the server sends one beside the deltas. */
  snapshot: Json | null;
  text: string[];
}

const TOP_LEVEL = ['id', 'created', 'model', 'system_fingerprint', 'service_tier'] as const;
/**
 * Top-level keys the rebuild writes itself. Any other top-level field a server adds (OpenRouter's
 * `provider`, Groq's `x_groq`, Perplexity's `citations` and `search_results`, Azure's
 * `prompt_filter_results`) is kept: objects merge field by field, anything else is sent whole
 * and the last value wins. `obfuscation` is per-event padding of random length that no
 * non-stream response has; it is the one field dropped.
 */
const TOP_LEVEL_BUILT = new Set([...TOP_LEVEL, 'object', 'choices', 'usage', 'obfuscation']);
const CHOICE_KEYS = new Set(['index', 'delta', 'text', 'logprobs', 'finish_reason', 'obfuscation']);
/** A choice field that is a cumulative snapshot of what the deltas build (Perplexity's `message`): the last one counts, never mixed into the deltas. */
const CHOICE_SNAPSHOTS = new Set(['message']);

function choiceAcc(choices: Map<number, ChoiceAcc>, index: number): ChoiceAcc {
  let c = choices.get(index);
  if (!c) {
    c = { index, message: {}, content: null, contentParts: false, refusal: null, toolCalls: [], logprobs: null, finishReason: null, text: [], extra: {}, snapshot: null };
    choices.set(index, c);
  }
  return c;
}

function mergeToolCall(acc: ChoiceAcc, delta: Json): void {
  const id = str(delta['id']) || undefined;
  // Some compatible servers omit `index`; match by id, else the entry is a new call.
  let index = num(delta['index']);
  if (index === undefined) index = acc.toolCalls.find((t) => id !== undefined && t.id === id)?.index ?? Math.max(-1, ...acc.toolCalls.map((t) => t.index)) + 1;
  let tc = acc.toolCalls.find((t) => t.index === index);
  if (!tc) {
    tc = { index, args: '' };
    acc.toolCalls.push(tc);
  }
  const fn = asRecord(delta['function']);
  // The first delta names the call; later ones may repeat empty strings, which must not win.
  tc.id ||= id;
  tc.type ||= str(delta['type']) || undefined;
  tc.name ||= str(fn['name']) || undefined;
  if (typeof fn['arguments'] === 'string') tc.args += fn['arguments'];
  else if (isRecord(fn['arguments'])) tc.args += JSON.stringify(fn['arguments']);
}

function mergeLogprobs(acc: ChoiceAcc, lp: unknown): void {
  if (!isRecord(lp)) return;
  acc.logprobs ??= { content: null, refusal: null };
  for (const key of ['content', 'refusal'] as const) {
    if (Array.isArray(lp[key])) acc.logprobs[key] = [...(acc.logprobs[key] ?? []), ...clone(lp[key] as unknown[])];
  }
}

function mergeDelta(acc: ChoiceAcc, delta: Json): void {
  const extra: Json = {};
  for (const [key, value] of Object.entries(delta)) {
    if (key === 'content') {
      if (typeof value === 'string') {
        // An empty piece adds nothing (and must not split two thinking parts apart), but says content was sent.
        acc.content ??= [];
        if (value !== '') mergeParts(acc.content, [{ type: 'text', text: value }]);
      }
      else if (Array.isArray(value)) {
        acc.contentParts = true;
        mergeParts((acc.content ??= []), value.map((p) => (typeof p === 'string' ? { type: 'text', text: p } : p)));
      }
    } else if (key === 'refusal') {
      if (typeof value === 'string') (acc.refusal ??= []).push(value);
    } else if (key === 'tool_calls') {
      for (const t of asArray(value)) if (isRecord(t)) mergeToolCall(acc, t);
    } else if (key === 'function_call' && isRecord(value)) {
      acc.functionCall ??= { args: '' };
      acc.functionCall.name ??= str(value['name']);
      if (typeof value['arguments'] === 'string') acc.functionCall.args += value['arguments'];
    } else {
      extra[key] = value;
    }
  }
  // Extension fields (reasoning, reasoning_content, reasoning_details, channel...): one rule per kind, see merge.ts.
  mergeObject(acc.message, extra);
}

/** The message's content: a string, or the parts when the stream sent arrays of parts (empty text parts dropped). */
function buildContent(c: ChoiceAcc): unknown {
  if (!c.content) return null;
  if (!c.contentParts) return partsText(c.content);
  return c.content.filter((p) => !(isRecord(p) && p['type'] === 'text' && p['text'] === ''));
}

function buildChoice(c: ChoiceAcc, legacy: boolean): Json {
  if (legacy) return { text: c.text.join(''), index: c.index, logprobs: c.logprobs ?? null, finish_reason: c.finishReason ?? null };
  const { role, ...extra } = c.message;
  const message: Json = { role: role ?? 'assistant', content: buildContent(c), refusal: c.refusal ? c.refusal.join('') : null, ...extra };
  if (c.toolCalls.length) {
    message['tool_calls'] = [...c.toolCalls]
      .sort((a, b) => a.index - b.index)
      .map((t) => ({ id: t.id ?? null, type: t.type ?? 'function', function: { name: t.name ?? '', arguments: t.args } }));
  }
  if (c.functionCall) message['function_call'] = { name: c.functionCall.name ?? '', arguments: c.functionCall.args };
  // A snapshot only fills in what no delta carried; the deltas are the message.
  for (const [k, v] of Object.entries(c.snapshot ?? {})) if (message[k] === undefined || (message[k] === null && v !== null)) message[k] = clone(v);
  return { index: c.index, message, logprobs: c.logprobs ?? null, finish_reason: c.finishReason ?? null, ...c.extra };
}

/** Merge `chat.completion.chunk` (or legacy `text_completion`) events into the non-stream object. */
export function mergeChunks(chunks: ReadonlyArray<StreamChunk>, legacy: boolean): Json | null {
  const top: Json = {};
  const choices = new Map<number, ChoiceAcc>();
  let seen = false;
  const vendor: Json = {};
  let usageValue: unknown = null;
  for (const chunk of chunks) {
    const d = chunk.data;
    if (!isRecord(d) || (!Array.isArray(d['choices']) && !isRecord(d['usage']))) continue;
    seen = true;
    // Azure's first event (prompt_filter_results) has an empty id and model: the first real one counts.
    for (const key of TOP_LEVEL) if (d[key] !== undefined && d[key] !== null && (top[key] === undefined || top[key] === '')) top[key] = d[key];
    for (const [k, v] of Object.entries(d)) {
      if (TOP_LEVEL_BUILT.has(k) || v === null || v === undefined) continue;
      if (isRecord(v) && isRecord(vendor[k])) mergeObject(vendor[k] as Json, v);
      else vendor[k] = clone(v);
    }
    if (isRecord(d['usage'])) usageValue = clone(d['usage']);
    asArray(d['choices']).forEach((raw, position) => {
      if (!isRecord(raw)) return;
      const acc = choiceAcc(choices, num(raw['index']) ?? position);
      if (raw['finish_reason'] !== null && raw['finish_reason'] !== undefined) acc.finishReason = raw['finish_reason'];
      mergeLogprobs(acc, raw['logprobs']);
      if (typeof raw['text'] === 'string') acc.text.push(raw['text']);
      if (isRecord(raw['delta'])) mergeDelta(acc, raw['delta']);
      for (const [k, v] of Object.entries(raw)) {
        if (CHOICE_SNAPSHOTS.has(k) && isRecord(v)) acc.snapshot = clone(v);
        else if (!CHOICE_KEYS.has(k)) mergeObject(acc.extra, { [k]: v });
      }
    });
  }
  if (!seen) return null;
  const object = legacy ? 'text_completion' : 'chat.completion';
  const out: Json = { id: top['id'] ?? null, object, created: top['created'] ?? null, model: top['model'] ?? null };
  if (top['system_fingerprint'] !== undefined) out['system_fingerprint'] = top['system_fingerprint'];
  if (top['service_tier'] !== undefined) out['service_tier'] = top['service_tier'];
  Object.assign(out, vendor);
  out['choices'] = [...choices.values()].sort((a, b) => a.index - b.index).map((c) => buildChoice(c, legacy));
  out['usage'] = usageValue ?? vendorUsage(vendor);
  return out;
}

/** A `usage` block a server put under its own key (Groq's `x_groq.usage`) when there is no top-level one. */
function vendorUsage(vendor: Json): unknown {
  for (const v of Object.values(vendor)) if (isRecord(v) && isRecord(v['usage'])) return clone(v['usage']);
  return null;
}

/** First chunk with text, refusal, reasoning or a tool call; role-only and empty deltas are lifecycle. */
export function firstContentIndex(chunks: ReadonlyArray<StreamChunk>): number | null {
  return firstIndex(chunks, (d) =>
    asArray(d['choices']).some((raw) => {
      const c = asRecord(raw);
      if (nonEmpty(c['text'])) return true;
      const delta = asRecord(c['delta']);
      return (
        nonEmpty(delta['content']) ||
        (Array.isArray(delta['content']) && (partsText(delta['content']) !== '' || partsReasoning(delta['content']) !== '')) ||
        partsReasoning(asArray(delta['reasoning_details'])) !== '' ||
        nonEmpty(delta['refusal']) ||
        nonEmpty(delta['reasoning_content']) ||
        nonEmpty(delta['reasoning']) ||
        asArray(delta['tool_calls']).length > 0 ||
        isRecord(delta['function_call'])
      );
    }),
  );
}

/** Rebuild a chat (`legacy` false) or legacy completions (`legacy` true) call. */
export function rebuild(input: ProviderInput, legacy: boolean): ProviderResult {
  const fallbackModel = requestModel(input.request);
  if (!input.stream) {
    const model = str(asRecord(input.body)['model']) ?? fallbackModel;
    return withError({ model, response: input.body ?? null, firstContentIndex: null }, bodyError(input.status, input.body));
  }
  const merged = mergeChunks(input.chunks, legacy);
  const error = streamError(input.chunks) ?? (input.status >= 400 ? `HTTP ${input.status}` : undefined);
  const errorPayload = input.chunks.find((c) => isRecord(c.data) && c.data['error'] !== undefined)?.data;
  // An error event after content (Groq's failed tool call, OpenRouter's limit) stays with the answer it cut short.
  if (merged && isRecord(errorPayload) && merged['error'] === undefined) merged['error'] = clone(errorPayload['error']);
  return withError(
    { model: str(merged?.['model']) ?? fallbackModel, response: merged ?? errorPayload ?? null, firstContentIndex: firstContentIndex(input.chunks) },
    error,
  );
}

function withError(r: ProviderResult, error: string | undefined): ProviderResult {
  return error === undefined ? r : { ...r, error };
}

/** Summary of a `chat.completion` or `text_completion` (first choice). Embeddings and others give an empty summary. */
export function summarize(response: unknown): ResponseSummary {
  const r = asRecord(response);
  const out = emptySummary();
  const choice = asRecord(asArray(r['choices'])[0]);
  const message = asRecord(choice['message']);
  const content = message['content'];
  out.text = str(content) ?? (Array.isArray(content) ? partsText(content) : undefined) ?? str(choice['text']) ?? '';
  out.tool_calls = asArray(message['tool_calls']).map((raw) => {
    const t = asRecord(raw);
    const fn = asRecord(t['function']);
    const call = { name: str(fn['name']) ?? '', arguments: toolArgs(fn['arguments']) };
    return str(t['id']) ? { id: str(t['id']), ...call } : call;
  });
  const legacyFn = asRecord(message['function_call']);
  if (str(legacyFn['name'])) out.tool_calls.push({ name: str(legacyFn['name'])!, arguments: toolArgs(legacyFn['arguments']) });
  out.finish_reason = str(choice['finish_reason']) ?? null;
  const u = asRecord(r['usage']);
  out.usage = usage(num(u['prompt_tokens']) ?? num(u['input_tokens']), num(u['completion_tokens']) ?? num(u['output_tokens']), num(u['total_tokens']));
  const reasoning = messageReasoning(message);
  if (reasoning) out.reasoning = reasoning;
  return out;
}

/**
 * A chat message's reasoning, from whichever field the server used: `reasoning_content` (DeepSeek,
 * vLLM), `reasoning` (Groq, OpenRouter, Ollama's OpenAI API), `reasoning_details` (OpenRouter) or
 * `thinking` content parts (Mistral's magistral).
 */
export function messageReasoning(message: Json): string | undefined {
  const plain = str(message['reasoning_content']) || str(message['reasoning']);
  if (plain) return plain;
  const details = partsReasoning(asArray(message['reasoning_details']));
  if (details) return details;
  return partsReasoning(asArray(message['content'])) || undefined;
}

/** Chat Completions, rebuilt; another OpenAI stream (audio, images) has no chat shape to rebuild: its events are kept. */
export function reconstruct(input: ProviderInput): ProviderResult {
  const first = input.chunks.find((c) => isRecord(c.data))?.data;
  if (input.stream && !CHAT_PATH.test(input.endpoint) && !isChatShape(first) && !hasChoices(first)) return generic.reconstruct(input);
  return rebuild(input, false);
}

const CHAT_PATH = /\/chat\/completions$/;
/** OpenAI's other APIs: nothing else names them, so they are a hint, below any header. */
const OTHER_PATHS = /\/(?:embeddings|moderations|models(?:\/[^/]+)?|images\/[a-z]+|audio\/[a-z]+)$/;

const hasChoices = (v: unknown): boolean => Array.isArray(asRecord(v)['choices']);

function isChatShape(v: unknown): boolean {
  const o = asRecord(v)['object'];
  return o === 'chat.completion.chunk' || o === 'chat.completion';
}

function recognise(e: CallEvidence): number {
  const first = e.chunks?.find((c) => isRecord(c.data))?.data ?? (Array.isArray(e.body) ? e.body[0] : e.body);
  if (isChatShape(first)) return STRENGTH.body;
  if (CHAT_PATH.test(e.path) || /\/embeddings$/.test(e.path)) return STRENGTH.path;
  // `choices` without `object` (some compatible servers): below any path, since legacy completions have them too.
  if (hasChoices(first) && asRecord(first)['object'] !== 'text_completion') return STRENGTH.header;
  if (e.host === 'api.openai.com') return STRENGTH.host;
  return OTHER_PATHS.test(e.path) ? STRENGTH.hint : 0;
}

const quote = (s: string) => JSON.stringify(s);

/** Sweep roles; shared with legacy completions (`choices[].text`). */
export function roles(chunks: readonly TraceChunk[]): ChunkRole[] {
  const names = new Map<string, string>();
  return chunks.map((c) => {
    const r: ChunkRole = {};
    const d = c.data;
    if (generic.isDone(d)) return { terminator: true };
    if (!isRecord(d)) return r;
    if (d['error'] !== undefined) r.error = true;
    if (isRecord(d['usage'])) r.usage = true;
    for (const [position, raw] of asArray(d['choices']).entries()) {
      const choice = asRecord(raw);
      const ci = num(choice['index']) ?? position;
      if (choice['finish_reason'] !== null && choice['finish_reason'] !== undefined) r.finish = true;
      const delta = asRecord(choice['delta']);
      if (nonEmpty(choice['text']) || nonEmpty(delta['content']) || (Array.isArray(delta['content']) && delta['content'].length > 0) || nonEmpty(delta['refusal'])) {
        r.content = true;
        r.block ??= `text:${ci}`;
        r.blockName ??= 'text';
      }
      if (nonEmpty(delta['reasoning_content']) || nonEmpty(delta['reasoning']) || asArray(delta['reasoning_details']).length > 0) {
        r.content = true;
        r.block ??= `reasoning:${ci}`;
        r.blockName ??= 'reasoning';
      }
      for (const [tp, rawTool] of asArray(delta['tool_calls']).entries()) {
        const t = asRecord(rawTool);
        const key = `${ci}:${num(t['index']) ?? str(t['id']) ?? tp}`;
        const fn = asRecord(t['function']);
        const name = str(fn['name']);
        if (nonEmpty(name) && !names.has(key)) {
          names.set(key, name!);
          r.toolStart ??= name;
        }
        const toolName = names.get(key) ?? '';
        r.content = true;
        r.block = `tool:${key}`;
        r.blockName = `tool call ${quote(toolName)}`;
        if (nonEmpty(fn['arguments']) || isRecord(fn['arguments'])) r.toolArgs ??= toolName;
      }
      const fc = asRecord(delta['function_call']);
      if (isRecord(delta['function_call'])) {
        const name = str(fc['name']);
        if (nonEmpty(name) && !names.has('fc')) {
          names.set('fc', name!);
          r.toolStart ??= name;
        }
        r.content = true;
        r.block = 'tool:fc';
        r.blockName = `tool call ${quote(names.get('fc') ?? '')}`;
        if (nonEmpty(fc['arguments'])) r.toolArgs ??= names.get('fc') ?? '';
      }
    }
    return r;
  });
}

/** `trace view`'s reading of a chunk with `choices`; shared with legacy completions. */
export function piece(chunk: TraceChunk): ChunkPiece | undefined {
  const d = chunk.data;
  if (!isRecord(d) || !('choices' in d)) return undefined;
  const choice = asRecord(asArray(d['choices'])[0]);
  const delta = asRecord(choice['delta']);
  const tc = asRecord(asArray(delta['tool_calls'])[0]);
  const fn = asRecord(tc['function']);
  const out: ChunkPiece = {};
  // Mistral sends `content` as an array of parts: text parts and thinking parts.
  const parts = asArray(delta['content']);
  const text = str(delta['content']) ?? (parts.length ? partsText(parts) : undefined) ?? str(choice['text']);
  if (text) out.text = text;
  const reasoning = str(delta['reasoning_content']) || str(delta['reasoning']) || partsReasoning(asArray(delta['reasoning_details'])) || partsReasoning(parts);
  if (reasoning) out.reasoning = reasoning;
  if (Object.keys(tc).length > 0) out.tool = { index: num(tc['index']) ?? 0, name: str(fn['name']), args: str(fn['arguments']) };
  if (choice['finish_reason']) out.label = `finish: ${String(choice['finish_reason'])}`;
  else if (asArray(d['choices']).length === 0 && d['usage']) out.label = 'usage';
  else if (!out.text && !out.tool && !out.reasoning && delta['role']) out.label = `role: ${String(delta['role'])}`;
  return out;
}

/** The openai SDK's stream reader stops at `[DONE]` and yields every event before it. */
export function untilDone(chunks: readonly TraceChunk[]): boolean[] {
  const done = chunks.findIndex((c) => typeof c.data === 'string' && c.data.startsWith('[DONE]'));
  return chunks.map((c, i) => (done < 0 || i < done) && (c.data !== undefined || c.event !== undefined));
}

export const protocol: ProtocolModule = {
  id: 'openai-chat',
  provider: 'openai',
  label: 'OpenAI Chat Completions',
  recognise,
  answers: (r) => Array.isArray(asRecord(r)['choices']),
  framing: 'sse',
  reconstruct,
  summarize,
  roles,
  piece,
  statusBody: generic.openaiStyleStatusBody,
  errorEvent: generic.protocol.errorEvent,
  sdkYields: untilDone,
  legacy: {
    names: /^(?!.*responses)(?=.*(?:openai|azure|gpt))/,
    textDefault: true,
    path: () => '/v1/chat/completions',
    textEvent: (text, model, id) => ({ id: `chatcmpl-${id}`, object: 'chat.completion.chunk', created: 0, model: model ?? 'unknown', choices: [{ index: 0, delta: { content: text }, finish_reason: null }] }),
    // An OpenAI chat stream ends with `data: [DONE]`, which its SDK waits for.
    complete: (payloads) => ({ before: [], after: payloads.includes('[DONE]') ? [] : ['[DONE]'] }),
  },
  route: { name: 'openai', label: 'OpenAI', origin: 'https://api.openai.com', fallbackPath: /^\/v1\//, env: { OPENAI_BASE_URL: '/v1' } },
  hosts: ['api.openai.com'],
};
