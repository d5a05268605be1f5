/**
 * Anthropic Messages (`/v1/messages`). Named SSE events: message_start carries the message shell,
 * content blocks stream by index, message_delta carries stop_reason and the final usage. An `error`
 * event can arrive after a 200 (e.g. `overloaded_error`), so the status alone does not say it worked.
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
