/**
 * OpenAI Responses API (`/v1/responses`). The stream names each event (`event:` line and a matching
 * `type` field). A finished stream carries the whole response in its terminal event; a stream that
 * was cut is rebuilt from the item and delta events so the trace still shows what arrived.
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
  toolArgs,
  usage,
  type Json,
  type ProviderInput,
  type ProviderResult,
  type ResponseSummary,
  type StreamChunk,
} from './common.js';
import * as chat from './openai-chat.js';
import { sseEventBytes } from './fault-text.js';
import { STRENGTH, type CallEvidence, type ChunkPiece, type ChunkRole, type ProtocolModule } from './protocol.js';
import type { TraceChunk } from '../types.js';

/** The events that end a Responses stream, each carrying the whole response. */
export const RESPONSES_TERMINAL: ReadonlySet<string> = new Set(['response.completed', 'response.incomplete', 'response.failed']);
const SNAPSHOT = new Set(['response.created', 'response.in_progress', 'response.queued']);
const TOOL_ITEMS = new Set(['function_call', 'custom_tool_call']);

const typeOf = (d: Json, event: string | undefined): string => str(d['type']) ?? event ?? '';

function errorOf(d: Json, type: string): string | undefined {
  if (type === 'error') {
    const e = isRecord(d['error']) ? d['error'] : d;
    const code = str(e['code']) ?? str(e['type']);
    const message = str(e['message']) ?? 'stream error';
    return code && code !== 'error' ? `${code}: ${message}` : message;
  }
  if (type === 'response.failed') {
    const e = asRecord(asRecord(d['response'])['error']);
    return str(e['code']) ? `${str(e['code'])}: ${str(e['message']) ?? ''}` : (str(e['message']) ?? 'response failed');
  }
  return undefined;
}

/** Mutable rebuild of a response from the item-level events. */
class Rebuild {
  base: Json | null = null;
  readonly output: Json[] = [];

  item(d: Json): Json {
    const byIndex = num(d['output_index']);
    const id = str(d['item_id']);
    const found = byIndex !== undefined ? this.output[byIndex] : this.output.find((it) => it && it['id'] === id);
    if (found) return found;
    const created: Json = { id: id ?? null, type: 'message', content: [] };
    this.output[byIndex ?? this.output.length] = created;
    return created;
  }

  part(item: Json, key: 'content' | 'summary', index: unknown, type: string): Json {
    const list = Array.isArray(item[key]) ? (item[key] as Json[]) : (item[key] = []);
    const i = num(index) ?? 0;
    list[i] ??= type === 'output_text' ? { type, text: '', annotations: [] } : { type, text: '' };
    return list[i]!;
  }

  apply(d: Json, type: string): void {
    const delta = str(d['delta']) ?? '';
    switch (type) {
      case 'response.output_item.added':
      case 'response.output_item.done':
        this.output[num(d['output_index']) ?? this.output.length] = clone(asRecord(d['item']));
        break;
      case 'response.content_part.added':
      case 'response.content_part.done':
        asArray((this.item(d)['content'] ??= []))[num(d['content_index']) ?? 0] = clone(d['part']);
        break;
      case 'response.reasoning_summary_part.added':
      case 'response.reasoning_summary_part.done':
        asArray((this.item(d)['summary'] ??= []))[num(d['summary_index']) ?? 0] = clone(d['part']);
        break;
      case 'response.output_text.delta':
        this.append(this.part(this.item(d), 'content', d['content_index'], 'output_text'), 'text', delta);
        break;
      case 'response.refusal.delta':
        this.append(this.part(this.item(d), 'content', d['content_index'], 'refusal'), 'refusal', delta);
        break;
      case 'response.reasoning_text.delta':
        this.append(this.part(this.item(d), 'content', d['content_index'], 'reasoning_text'), 'text', delta);
        break;
      case 'response.reasoning_summary_text.delta':
        this.append(this.part(this.item(d), 'summary', d['summary_index'], 'summary_text'), 'text', delta);
        break;
      case 'response.function_call_arguments.delta':
        this.append(this.item(d), 'arguments', delta);
        break;
      case 'response.custom_tool_call_input.delta':
        this.append(this.item(d), 'input', delta);
        break;
      case 'response.output_text.done':
        if (typeof d['text'] === 'string') this.part(this.item(d), 'content', d['content_index'], 'output_text')['text'] = d['text'];
        break;
      case 'response.function_call_arguments.done':
        if (typeof d['arguments'] === 'string') this.item(d)['arguments'] = d['arguments'];
        break;
      default:
        if (SNAPSHOT.has(type) && isRecord(d['response'])) this.base = clone(d['response']);
    }
  }

  private append(target: Json, key: string, text: string): void {
    target[key] = (str(target[key]) ?? '') + text;
  }

  result(): Json | null {
    if (!this.base && this.output.length === 0) return null;
    // The last snapshot still says `in_progress`: that is the truth about a stream that never finished.
    return { ...(this.base ?? { object: 'response', status: 'in_progress' }), output: this.output.filter(Boolean) };
  }
}

/** First event with output text, a refusal, reasoning, tool-call arguments or a new tool call. */
export function firstContentIndex(chunks: ReadonlyArray<StreamChunk>): number | null {
  return firstIndex(chunks, (d, event) => {
    const type = typeOf(d, event);
    if (type === 'response.output_item.added') return TOOL_ITEMS.has(str(asRecord(d['item'])['type']) ?? '');
    return type.endsWith('.delta') && nonEmpty(d['delta']);
  });
}

export function reconstruct(input: ProviderInput): ProviderResult {
  if (!input.stream) {
    const model = str(asRecord(input.body)['model']) ?? requestModel(input.request);
    const r: ProviderResult = { model, response: input.body ?? null, firstContentIndex: null };
    const error = bodyError(input.status, input.body);
    return error ? { ...r, error } : r;
  }
  const rebuild = new Rebuild();
  let final: Json | null = null;
  let error: string | undefined;
  let errorPayload: Json | undefined;
  for (const chunk of input.chunks) {
    if (!isRecord(chunk.data)) continue;
    const type = typeOf(chunk.data, chunk.event);
    const e = errorOf(chunk.data, type);
    if (e && !error) [error, errorPayload] = [e, chunk.data];
    if (RESPONSES_TERMINAL.has(type) && isRecord(chunk.data['response'])) final = clone(chunk.data['response']);
    else rebuild.apply(chunk.data, type);
  }
  const response = final ?? rebuild.result() ?? errorPayload ?? null;
  if (!error && input.status >= 400) error = `HTTP ${input.status}`;
  const r: ProviderResult = {
    model: str(asRecord(response)['model']) ?? requestModel(input.request),
    response,
    firstContentIndex: firstContentIndex(input.chunks),
  };
  return error ? { ...r, error } : r;
}

export function summarize(response: unknown): ResponseSummary {
  const r = asRecord(response);
  const out = emptySummary();
  const text: string[] = [];
  const reasoning: string[] = [];
  for (const raw of asArray(r['output'])) {
    const item = asRecord(raw);
    const type = str(item['type']);
    if (type === 'message') {
      for (const p of asArray(item['content'])) if (asRecord(p)['type'] === 'output_text') text.push(str(asRecord(p)['text']) ?? '');
    } else if (type === 'function_call' || type === 'custom_tool_call') {
      const id = str(item['call_id']) ?? str(item['id']);
      const call = { name: str(item['name']) ?? '', arguments: toolArgs(type === 'function_call' ? item['arguments'] : item['input']) };
      out.tool_calls.push(id ? { id, ...call } : call);
    } else if (type === 'reasoning') {
      for (const p of [...asArray(item['summary']), ...asArray(item['content'])]) {
        const t = str(asRecord(p)['text']);
        if (t) reasoning.push(t);
      }
    }
  }
  out.text = text.join('');
  const status = str(r['status']);
  out.finish_reason = status === 'incomplete' ? (str(asRecord(r['incomplete_details'])['reason']) ?? status) : (status ?? null);
  const u = asRecord(r['usage']);
  out.usage = usage(num(u['input_tokens']), num(u['output_tokens']), num(u['total_tokens']));
  if (reasoning.length) out.reasoning = reasoning.join('\n\n');
  return out;
}

function recognise(e: CallEvidence): number {
  const first = e.chunks?.find((c) => isRecord(c.data))?.data;
  if ((str(asRecord(first)['type']) ?? '').startsWith('response.')) return STRENGTH.body;
  return /\/responses(?:\/|$)/.test(e.path) ? STRENGTH.path : 0;
}

const quote = (s: string) => JSON.stringify(s);

function roles(chunks: readonly TraceChunk[]): ChunkRole[] {
  const items = new Map<string, { name: string; tool?: string }>();
  return chunks.map((c) => {
    const r: ChunkRole = {};
    const d = asRecord(c.data);
    const type = typeOf(d, c.event);
    if (RESPONSES_TERMINAL.has(type)) {
      r.terminator = true;
      r.finish = true;
      if (isRecord(asRecord(d['response'])['usage'])) r.usage = true;
      return r;
    }
    if (type === 'error') return { error: true };
    const key = num(d['output_index']) !== undefined ? `item:${num(d['output_index'])}` : str(d['item_id']) !== undefined ? `id:${str(d['item_id'])}` : undefined;
    if (type === 'response.output_item.added' || type === 'response.output_item.done') {
      const item = asRecord(d['item']);
      const itype = str(item['type']) ?? 'item';
      const tool = /_call$/.test(itype) ? (str(item['name']) ?? itype) : undefined;
      if (key && !items.has(key)) items.set(key, { name: tool !== undefined ? `${itype} ${quote(tool)}` : itype, tool });
      if (type === 'response.output_item.added' && tool !== undefined) {
        r.toolStart = tool;
        r.content = true;
      }
    } else if (type.endsWith('.delta') && nonEmpty(d['delta'])) {
      r.content = true;
      if (/arguments\.delta$|input\.delta$/.test(type)) r.toolArgs = (key && items.get(key)?.tool) ?? '';
    }
    if (key) {
      r.block = key;
      r.blockName = items.get(key)?.name ?? 'item';
    }
    return r;
  });
}

function piece(chunk: TraceChunk): ChunkPiece | undefined {
  const d = asRecord(chunk.data);
  const type = str(d['type']) ?? '';
  if (!type.startsWith('response.')) return undefined;
  const index = num(d['output_index']) ?? 0;
  switch (type) {
    case 'response.output_text.delta':
      return { text: str(d['delta']) ?? '' };
    case 'response.reasoning_summary_text.delta':
    case 'response.reasoning_text.delta':
      return { reasoning: str(d['delta']) ?? '' };
    case 'response.function_call_arguments.delta':
      return { tool: { index, args: str(d['delta']) ?? '' } };
    case 'response.output_item.added': {
      const item = asRecord(d['item']);
      if (item['type'] === 'function_call') return { tool: { index, name: str(item['name']) ?? '?' } };
      return { label: type };
    }
    default:
      return { label: type };
  }
}

export const protocol: ProtocolModule = {
  id: 'openai-responses',
  provider: 'openai-responses',
  label: 'OpenAI Responses',
  recognise,
  answers: (r) => asRecord(r)['object'] === 'response' || Array.isArray(asRecord(r)['output']),
  framing: 'sse',
  namedEvents: true,
  reconstruct,
  summarize,
  roles,
  piece,
  statusBody: chat.protocol.statusBody,
  errorEvent: (ctx) =>
    sseEventBytes(ctx, { type: 'error', code: 'server_error', message: 'The server had an error while processing your request (TraceForge fault).', param: null, sequence_number: ctx.sequence }, 'error'),
  sdkYields: chat.untilDone,
  // The Responses event sequence is too rich to make up from bare text: text pieces go to the text default.
  legacy: { names: /responses/, path: () => '/v1/responses' },
  route: chat.protocol.route,
};
