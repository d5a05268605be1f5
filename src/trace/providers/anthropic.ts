/**
 * Anthropic Messages (`/v1/messages`). Named SSE events: message_start carries the message shell,
 * content blocks stream by index, message_delta carries stop_reason and the final usage. An `error`
 * event can arrive after a 200 (e.g. `overloaded_error`), so the status alone does not say it worked.
 * Recognised off api.anthropic.com too: on Vertex AI (`/publishers/anthropic/models/...:streamRawPredict`)
 * and wherever the request carries `anthropic_version` or the stream opens with `message_start`.
 */
import {
  asArray,
  asRecord,
  bodyError,
  clone,
  describeError,
  emptySummary,
  firstIndex,
  isRecord,
  nonEmpty,
  num,
  parseJsonOr,
  requestModel,
  str,
  toolArgs,
  usage,
  type Json,
  type ProviderInput,
  type ProviderResult,
  type ResponseSummary,
  type StreamChunk,
} from './common.js';
import { sseEventBytes, statusWords } from './fault-text.js';
import { STRENGTH, type CallEvidence, type ChunkPiece, type ChunkRole, type ProtocolModule } from './protocol.js';
import type { TraceChunk } from '../types.js';

interface BlockAcc {
  block: Json;
  json: string[] | null;
}

const typeOf = (d: Json, event: string | undefined): string => str(d['type']) ?? event ?? '';

/** Blocks whose start already says something the user sees: a tool name, or redacted reasoning. */
const CONTENT_STARTS = new Set(['tool_use', 'server_tool_use', 'mcp_tool_use', 'redacted_thinking']);

function applyDelta(acc: BlockAcc, delta: Json): void {
  const b = acc.block;
  const append = (key: string, v: unknown) => {
    if (typeof v === 'string') b[key] = (str(b[key]) ?? '') + v;
  };
  switch (delta['type']) {
    case 'text_delta':
      append('text', delta['text']);
      break;
    case 'input_json_delta':
      if (typeof delta['partial_json'] === 'string') (acc.json ??= []).push(delta['partial_json']);
      break;
    case 'thinking_delta':
      append('thinking', delta['thinking']);
      break;
    case 'signature_delta':
      append('signature', delta['signature']);
      break;
    case 'citations_delta':
      b['citations'] = [...asArray(b['citations']), clone(delta['citation'])];
      break;
  }
}

/** Tool input is streamed as JSON text; the non-stream shape has it parsed. Empty text keeps the start's `{}`. */
function finishBlock(acc: BlockAcc): void {
  if (!acc.json) return;
  const text = acc.json.join('');
  // A stream cut mid-input leaves JSON that does not parse; keep the raw text rather than lose it.
  if (text.trim() !== '') acc.block['input'] = parseJsonOr(text);
  acc.json = null;
}

function mergeUsage(message: Json, u: unknown): void {
  if (!isRecord(u)) return;
  const target = asRecord(message['usage']);
  // message_delta repeats some counts as null in older API versions; they must not erase message_start's.
  for (const [k, v] of Object.entries(u)) if (v !== null && v !== undefined) target[k] = clone(v);
  message['usage'] = target;
}

/** First delta with text, tool input or thinking, or a block start that names a tool. */
export function firstContentIndex(chunks: ReadonlyArray<StreamChunk>): number | null {
  return firstIndex(chunks, (d, event) => {
    const type = typeOf(d, event);
    if (type === 'content_block_start') {
      const b = asRecord(d['content_block']);
      return CONTENT_STARTS.has(str(b['type']) ?? '') || nonEmpty(b['text']) || nonEmpty(b['thinking']);
    }
    if (type !== 'content_block_delta') return false;
    const delta = asRecord(d['delta']);
    return nonEmpty(delta['text']) || nonEmpty(delta['partial_json']) || nonEmpty(delta['thinking']) || isRecord(delta['citation']);
  });
}

export function reconstruct(input: ProviderInput): ProviderResult {
  const fallbackModel = requestModel(input.request);
  if (!input.stream) {
    const model = str(asRecord(input.body)['model']) ?? fallbackModel;
    const r: ProviderResult = { model, response: input.body ?? null, firstContentIndex: null };
    const error = bodyError(input.status, input.body);
    return error ? { ...r, error } : r;
  }
  let message: Json | null = null;
  const blocks = new Map<number, BlockAcc>();
  let error: string | undefined;
  let errorPayload: unknown;
  for (const chunk of input.chunks) {
    const d = chunk.data;
    if (!isRecord(d)) continue;
    const type = typeOf(d, chunk.event);
    if (type === 'message_start') {
      message = clone(asRecord(d['message']));
      for (const [i, b] of asArray(message['content']).entries()) if (isRecord(b)) blocks.set(i, { block: b, json: null });
    } else if (type === 'content_block_start') {
      blocks.set(num(d['index']) ?? blocks.size, { block: clone(asRecord(d['content_block'])), json: null });
    } else if (type === 'content_block_delta') {
      const index = num(d['index']) ?? 0;
      const acc = blocks.get(index) ?? { block: { type: 'text', text: '' }, json: null };
      blocks.set(index, acc);
      applyDelta(acc, asRecord(d['delta']));
    } else if (type === 'content_block_stop') {
      const acc = blocks.get(num(d['index']) ?? -1);
      if (acc) finishBlock(acc);
    } else if (type === 'message_delta') {
      message ??= {};
      for (const [k, v] of Object.entries(asRecord(d['delta']))) message[k] = clone(v);
      mergeUsage(message, d['usage']);
    } else if (type === 'error' || d['error'] !== undefined) {
      error ??= describeError(d) ?? 'stream error';
      errorPayload ??= d;
    }
  }
  for (const acc of blocks.values()) finishBlock(acc);
  let response: unknown = errorPayload ?? null;
  if (message) {
    message['content'] = [...blocks.entries()].sort(([a], [b]) => a - b).map(([, acc]) => acc.block);
    response = message;
  }
  if (!error && input.status >= 400) error = `HTTP ${input.status}`;
  const r: ProviderResult = { model: str(message?.['model']) ?? fallbackModel, response, firstContentIndex: firstContentIndex(input.chunks) };
  return error ? { ...r, error } : r;
}

export function summarize(response: unknown): ResponseSummary {
  const r = asRecord(response);
  const out = emptySummary();
  const text: string[] = [];
  const thinking: string[] = [];
  for (const raw of asArray(r['content'])) {
    const b = asRecord(raw);
    const type = str(b['type']);
    if (type === 'text') text.push(str(b['text']) ?? '');
    else if (type === 'thinking') thinking.push(str(b['thinking']) ?? '');
    else if (type === 'tool_use' || type === 'server_tool_use' || type === 'mcp_tool_use') {
      const id = str(b['id']);
      const call = { name: str(b['name']) ?? '', arguments: toolArgs(b['input']) };
      out.tool_calls.push(id ? { id, ...call } : call);
    }
  }
  out.text = text.join('');
  out.finish_reason = str(r['stop_reason']) ?? null;
  const u = asRecord(r['usage']);
  out.usage = usage(num(u['input_tokens']), num(u['output_tokens']));
  if (thinking.length) out.reasoning = thinking.join('\n\n');
  return out;
}

/** Anthropic's Messages API served by Vertex AI: the model in the path, the version in the body. */
const VERTEX_PATH = /\/publishers\/anthropic\/models\/[^/]+:(?:streamRawPredict|rawPredict|countTokens)$/;
/** Every event type of a Messages stream. */
export const EVENT_TYPES: ReadonlySet<string> = new Set(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop', 'ping']);

const isMessage = (v: unknown): boolean => {
  const o = asRecord(v);
  return o['type'] === 'message' && o['role'] === 'assistant' && Array.isArray(o['content']);
};

function recognise(e: CallEvidence): number {
  if (VERTEX_PATH.test(e.path)) return STRENGTH.ownPath;
  if (typeof asRecord(e.request)['anthropic_version'] === 'string') return STRENGTH.body;
  const first = e.chunks?.find((c) => isRecord(c.data))?.data ?? e.body;
  if (EVENT_TYPES.has(str(asRecord(first)['type']) ?? '') || isMessage(first)) return STRENGTH.body;
  // Assistants threads also have `/messages`; they are OpenAI's.
  if (/\/messages(?:\/count_tokens|\/batches(?:\/.*)?)?$/.test(e.path) && !/\/threads\//.test(e.path)) return STRENGTH.path;
  if (e.headers?.['anthropic-version'] !== undefined) return STRENGTH.header;
  return e.host === 'api.anthropic.com' ? STRENGTH.host : 0;
}

const quote = (s: string) => JSON.stringify(s);

/** Sweep roles of a Messages stream (also the events inside Bedrock's InvokeModel chunks). */
export function roles(chunks: readonly StreamChunk[]): ChunkRole[] {
  const blocks = new Map<number, { name: string; tool?: string }>();
  return chunks.map((c) => {
    const r: ChunkRole = {};
    const d = asRecord(c.data);
    const type = typeOf(d, c.event);
    if (type === 'message_stop') r.terminator = true;
    else if (type === 'error' || d['error'] !== undefined) r.error = true;
    else if (type === 'message_start') {
      if (isRecord(asRecord(d['message'])['usage'])) r.usage = true;
    } else if (type === 'content_block_start') {
      const index = num(d['index']) ?? blocks.size;
      const b = asRecord(d['content_block']);
      const btype = str(b['type']) ?? 'block';
      const tool = /tool_use$/.test(btype) ? (str(b['name']) ?? '') : undefined;
      blocks.set(index, { name: tool !== undefined ? `${btype} ${quote(tool)}` : btype, tool });
      r.block = `block:${index}`;
      r.blockName = blocks.get(index)!.name;
      if (tool !== undefined) {
        r.toolStart = tool;
        r.content = true;
      }
      if (nonEmpty(b['text']) || nonEmpty(b['thinking']) || btype === 'redacted_thinking') r.content = true;
    } else if (type === 'content_block_delta' || type === 'content_block_stop') {
      const index = num(d['index']) ?? 0;
      const b = blocks.get(index);
      r.block = `block:${index}`;
      r.blockName = b?.name ?? 'block';
      if (type === 'content_block_delta') {
        const delta = asRecord(d['delta']);
        if (nonEmpty(delta['partial_json'])) r.toolArgs = b?.tool ?? '';
        if (nonEmpty(delta['partial_json']) || nonEmpty(delta['text']) || nonEmpty(delta['thinking']) || isRecord(delta['citation'])) r.content = true;
      }
    } else if (type === 'message_delta') {
      const delta = asRecord(d['delta']);
      if (delta['stop_reason'] !== null && delta['stop_reason'] !== undefined) r.finish = true;
      if (isRecord(d['usage'])) r.usage = true;
    }
    return r;
  });
}

/** `trace view`'s reading of a Messages event (also inside Bedrock's InvokeModel chunks). */
export function piece(chunk: StreamChunk): ChunkPiece | undefined {
  const d = asRecord(chunk.data);
  const type = str(d['type']) ?? '';
  if (!EVENT_TYPES.has(type)) return undefined;
  const delta = asRecord(d['delta']);
  const index = num(d['index']) ?? 0;
  switch (type) {
    case 'content_block_delta':
      if (delta['type'] === 'text_delta') return { text: str(delta['text']) ?? '' };
      if (delta['type'] === 'thinking_delta') return { reasoning: str(delta['thinking']) ?? '' };
      if (delta['type'] === 'input_json_delta') return { tool: { index, args: str(delta['partial_json']) ?? '' } };
      return { label: String(delta['type'] ?? type) };
    case 'content_block_start': {
      const block = asRecord(d['content_block']);
      if (block['type'] === 'tool_use') return { tool: { index, name: str(block['name']) ?? '?' } };
      return { label: `${type} (${String(block['type'])})` };
    }
    case 'message_delta':
      return { label: `stop: ${String(delta['stop_reason'] ?? '?')}` };
    default:
      return { label: type };
  }
}

export const protocol: ProtocolModule = {
  id: 'anthropic',
  provider: 'anthropic',
  label: 'Anthropic Messages',
  recognise,
  answers: (r) => asRecord(r)['type'] === 'message' && Array.isArray(asRecord(r)['content']),
  framing: 'sse',
  namedEvents: true,
  reconstruct,
  summarize,
  roles,
  piece,
  statusBody: (status) => {
    const [type, message] = statusWords(status);
    return JSON.stringify({ type: 'error', error: { type, message } });
  },
  errorEvent: (ctx) => sseEventBytes(ctx, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 'error'),
  // Its SDK skips `ping`, unnamed events and empty data.
  sdkYields: (chunks) => chunks.map((c) => c.event !== undefined && c.event !== 'ping' && c.data !== undefined && c.data !== ''),
  legacy: {
    names: /anthropic|claude/,
    path: () => '/v1/messages',
    textEvent: (text) => ({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
    // A text-only stream gets the lifecycle events its SDK needs.
    complete(payloads, fromText, model, id) {
      if (!fromText || payloads.some((p) => asRecord(p)['type'] === 'message_start')) return { before: [], after: [] };
      const message = { id: `msg_${id}`, type: 'message', role: 'assistant', model: model ?? 'unknown', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } };
      return {
        before: [{ type: 'message_start', message }, { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
        after: [{ type: 'content_block_stop', index: 0 }, { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 0 } }, { type: 'message_stop' }],
      };
    },
  },
  route: { name: 'anthropic', label: 'Anthropic', origin: 'https://api.anthropic.com', env: { ANTHROPIC_BASE_URL: '' } },
  hosts: ['api.anthropic.com'],
};
