/**
 * Cohere chat. v2 (`/v2/chat`) streams SSE events named by `type`: `message-start` (id, role),
 * `content-start`/`content-delta`/`content-end` (text or thinking by index), `tool-plan-delta`,
 * `tool-call-start`/`tool-call-delta`/`tool-call-end` (by index, arguments as JSON text),
 * `citation-start`/`citation-end`, and `message-end` (finish_reason, usage). The rebuilt object is
 * the non-stream v2 response `{id, message:{role, content, tool_plan, tool_calls, citations}, finish_reason, usage}`.
 *
 * v1 (`/v1/chat`) streams JSON lines with `event_type`; its `stream-end` event carries the whole
 * non-stream response, which is used as it is (else the text and tool calls are gathered).
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
import { mergeObject } from './merge.js';
import { STRENGTH, type CallEvidence, type ChunkPiece, type ChunkRole, type ProtocolModule } from './protocol.js';
import type { TraceChunk } from '../types.js';

const PATH = /\/v[12]\/chat$/;

export function isCoherePath(path: string): boolean {
  return PATH.test(path);
}

const typeOf = (d: Json, event: string | undefined): string => str(d['type']) ?? str(d['event_type']) ?? event ?? '';
/** `delta.message` of a v2 event. */
const deltaMessage = (d: Json): Json => asRecord(asRecord(d['delta'])['message']);

interface ToolAcc {
  call: Json;
  args: string[];
}

function mergeV2(chunks: ReadonlyArray<StreamChunk>): Json | null {
  let seen = false;
  const out: Json = {};
  const message: Json = { role: 'assistant' };
  const content = new Map<number, Json>();
  const tools = new Map<number, ToolAcc>();
  const citations: unknown[] = [];
  let plan: string | null = null;
  for (const chunk of chunks) {
    const d = chunk.data;
    if (!isRecord(d)) continue;
    const type = typeOf(d, chunk.event);
    const index = num(d['index']) ?? 0;
    const m = deltaMessage(d);
    switch (type) {
      case 'message-start':
        seen = true;
        if (d['id'] !== undefined) out['id'] = d['id'];
        if (str(m['role'])) message['role'] = m['role'];
        if (nonEmpty(m['tool_plan'])) plan = str(m['tool_plan'])!;
        break;
      case 'content-start':
      case 'content-delta': {
        seen = true;
        const part = content.get(index) ?? {};
        content.set(index, part);
        if (isRecord(m['content'])) mergeObject(part, m['content']);
        break;
      }
      case 'tool-plan-delta':
        seen = true;
        if (typeof m['tool_plan'] === 'string') plan = (plan ?? '') + m['tool_plan'];
        break;
      case 'tool-call-start':
      case 'tool-call-delta': {
        seen = true;
        const tc = asRecord(m['tool_calls']);
        let acc = tools.get(index);
        if (!acc) tools.set(index, (acc = { call: {}, args: [] }));
        const fn = asRecord(tc['function']);
        if (typeof fn['arguments'] === 'string') acc.args.push(fn['arguments']);
        const { function: _f, ...rest } = tc;
        mergeObject(acc.call, rest);
        if (typeof fn['name'] === 'string' && fn['name'] !== '') acc.call['function'] = { ...asRecord(acc.call['function']), name: fn['name'] };
        break;
      }
      case 'citation-start':
        seen = true;
        if (isRecord(m['citations'])) citations.push(clone(m['citations']));
        break;
      case 'message-end': {
        seen = true;
        const delta = asRecord(d['delta']);
        if (delta['finish_reason'] !== undefined) out['finish_reason'] = delta['finish_reason'];
        if (delta['usage'] !== undefined) out['usage'] = clone(delta['usage']);
        break;
      }
    }
  }
  if (!seen) return null;
  const parts = [...content.entries()].sort(([a], [b]) => a - b).map(([, p]) => p);
  if (parts.length) message['content'] = parts;
  if (plan) message['tool_plan'] = plan;
  if (tools.size) {
    message['tool_calls'] = [...tools.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, t]) => ({ ...t.call, type: t.call['type'] ?? 'function', function: { name: str(asRecord(t.call['function'])['name']) ?? '', arguments: t.args.join('') } }));
  }
  if (citations.length) message['citations'] = citations;
  return { id: out['id'] ?? null, message, finish_reason: out['finish_reason'] ?? null, usage: out['usage'] ?? null };
}

/** v1: the `stream-end` event's response, else text and tool calls gathered from the events. */
function mergeV1(chunks: ReadonlyArray<StreamChunk>): Json | null {
  let seen = false;
  const text: string[] = [];
  const toolCalls: unknown[] = [];
  const out: Json = {};
  for (const chunk of chunks) {
    const d = chunk.data;
    if (!isRecord(d) || typeof d['event_type'] !== 'string') continue;
    seen = true;
    const type = d['event_type'];
    if (type === 'stream-start' && d['generation_id'] !== undefined) out['generation_id'] = d['generation_id'];
    else if (type === 'text-generation' && typeof d['text'] === 'string') text.push(d['text']);
    else if (type === 'tool-calls-generation') toolCalls.push(...clone(asArray(d['tool_calls'])));
    else if (type === 'stream-end') {
      if (isRecord(d['response'])) return clone(d['response']);
      if (d['finish_reason'] !== undefined) out['finish_reason'] = d['finish_reason'];
    }
  }
  if (!seen) return null;
  const r: Json = { text: text.join(''), ...out };
  if (toolCalls.length) r['tool_calls'] = toolCalls;
  return r;
}

export function firstContentIndex(chunks: ReadonlyArray<StreamChunk>): number | null {
  return firstIndex(chunks, (d, event) => {
    const type = typeOf(d, event);
    const m = deltaMessage(d);
    if (type === 'content-delta') {
      const c = asRecord(m['content']);
      return nonEmpty(c['text']) || nonEmpty(c['thinking']);
    }
    if (type === 'tool-plan-delta') return nonEmpty(m['tool_plan']);
    if (type === 'tool-call-start') return true;
    if (type === 'text-generation') return nonEmpty(d['text']);
    return type === 'tool-calls-generation';
  });
}

/** A v1 stream recorded without its framing (`application/stream+json` is not NDJSON by name): its lines. */
function jsonLines(body: unknown): unknown[] | null {
  if (typeof body !== 'string' || !body.includes('\n')) return null;
  const lines = body.split(/\r?\n/).filter((l) => l.trim() !== '');
  const parsed = lines.map((l) => parseJsonOr(l));
  return parsed.every(isRecord) ? parsed : null;
}

export function reconstruct(input: ProviderInput): ProviderResult {
  const fallbackModel = requestModel(input.request);
  if (!input.stream) {
    const lines = jsonLines(input.body);
    const response = lines ? (mergeV1(lines.map((data) => ({ data }))) ?? input.body) : (input.body ?? null);
    const error = bodyError(input.status, input.body);
    const r: ProviderResult = { model: fallbackModel, response: response ?? null, firstContentIndex: null };
    return error ? { ...r, error } : r;
  }
  const response = mergeV2(input.chunks) ?? mergeV1(input.chunks);
  let error: string | undefined;
  for (const c of input.chunks) {
    const d = asRecord(c.data);
    if (error) break;
    if (typeOf(d, c.event) === 'error' || d['error'] !== undefined) error = describeError(d) ?? str(d['message']) ?? 'stream error';
  }
  if (!error && input.status >= 400) error = `HTTP ${input.status}`;
  const r: ProviderResult = { model: fallbackModel, response: response ?? null, firstContentIndex: firstContentIndex(input.chunks) };
  return error ? { ...r, error } : r;
}

export function summarize(response: unknown): ResponseSummary {
  const r = asRecord(response);
  const out = emptySummary();
  const message = asRecord(r['message']);
  if (isRecord(r['message'])) {
    const text: string[] = [];
    const thinking: string[] = [];
    for (const raw of asArray(message['content'])) {
      const p = asRecord(raw);
      if (p['type'] === 'thinking' && typeof p['thinking'] === 'string') thinking.push(p['thinking']);
      else if (typeof p['text'] === 'string') text.push(p['text']);
    }
    out.text = text.join('');
    out.tool_calls = asArray(message['tool_calls']).map((raw) => {
      const t = asRecord(raw);
      const fn = asRecord(t['function']);
      const call = { name: str(fn['name']) ?? '', arguments: toolArgs(fn['arguments']) };
      return str(t['id']) ? { id: str(t['id']), ...call } : call;
    });
    const plan = str(message['tool_plan']);
    const reasoning = [...thinking, ...(plan ? [plan] : [])].join('\n\n');
    if (reasoning) out.reasoning = reasoning;
    const u = asRecord(r['usage']);
    const tokens = isRecord(u['tokens']) ? u['tokens'] : asRecord(u['billed_units']);
    out.usage = usage(num(tokens['input_tokens']), num(tokens['output_tokens']));
  } else {
    // v1
    out.text = str(r['text']) ?? '';
    out.tool_calls = asArray(r['tool_calls']).map((raw) => {
      const t = asRecord(raw);
      return { name: str(t['name']) ?? '', arguments: toolArgs(t['parameters']) };
    });
    const meta = asRecord(r['meta']);
    const tokens = isRecord(meta['tokens']) ? meta['tokens'] : asRecord(meta['billed_units']);
    out.usage = usage(num(tokens['input_tokens']), num(tokens['output_tokens']));
  }
  out.finish_reason = str(r['finish_reason']) ?? null;
  return out;
}

/** Every event type of a v2 chat stream. */
const V2_TYPES = new Set(['message-start', 'content-start', 'content-delta', 'content-end', 'tool-plan-delta', 'tool-call-start', 'tool-call-delta', 'tool-call-end', 'citation-start', 'citation-end', 'message-end']);

const isEvent = (d: unknown): boolean => isRecord(d) && (V2_TYPES.has(str(d['type']) ?? '') || typeof d['event_type'] === 'string');

function recognise(e: CallEvidence): number {
  if (PATH.test(e.path)) return STRENGTH.ownPath;
  if (isEvent(e.chunks?.find((c) => isRecord(c.data))?.data)) return STRENGTH.body;
  return e.host === 'api.cohere.com' || e.host === 'api.cohere.ai' ? STRENGTH.host : 0;
}

const quote = (s: string) => JSON.stringify(s);

/** Sweep roles of v2 events (by index: content parts, tool calls) and v1 events. */
function roles(chunks: readonly TraceChunk[]): ChunkRole[] {
  const tools = new Map<number, string>();
  const parts = new Map<number, string>();
  return chunks.map((c) => {
    const r: ChunkRole = {};
    const d = asRecord(c.data);
    const type = typeOf(d, c.event);
    const index = num(d['index']) ?? 0;
    const m = deltaMessage(d);
    const inBlock = (block: string, name: string | undefined, content: boolean) => {
      r.block = block;
      r.blockName = name;
      if (content) r.content = true;
    };
    switch (type) {
      case 'content-start':
      case 'content-delta':
      case 'content-end': {
        const content = asRecord(m['content']);
        if (!parts.has(index)) parts.set(index, str(content['type']) ?? 'text');
        inBlock(`content:${index}`, parts.get(index), nonEmpty(content['text']) || nonEmpty(content['thinking']));
        break;
      }
      case 'tool-plan-delta':
        inBlock('tool_plan', 'tool plan', nonEmpty(m['tool_plan']));
        break;
      case 'tool-call-start':
      case 'tool-call-delta':
      case 'tool-call-end': {
        const fn = asRecord(asRecord(m['tool_calls'])['function']);
        if (type === 'tool-call-start') {
          tools.set(index, str(fn['name']) ?? '');
          r.toolStart = tools.get(index);
          r.content = true;
        }
        inBlock(`tool:${index}`, `tool call ${quote(tools.get(index) ?? '')}`, nonEmpty(fn['arguments']));
        if (nonEmpty(fn['arguments'])) r.toolArgs = tools.get(index) ?? '';
        break;
      }
      case 'message-end': {
        const delta = asRecord(d['delta']);
        r.terminator = true;
        if (delta['finish_reason'] !== undefined && delta['finish_reason'] !== null) r.finish = true;
        if (isRecord(delta['usage'])) r.usage = true;
        break;
      }
      // v1
      case 'text-generation':
        inBlock('text', 'text', nonEmpty(d['text']));
        break;
      case 'tool-calls-generation': {
        const name = str(asRecord(asArray(d['tool_calls'])[0])['name']) ?? '';
        r.toolStart = name;
        r.content = true;
        r.block = 'tools';
        r.blockName = `tool call ${quote(name)}`;
        break;
      }
      case 'stream-end':
        r.terminator = true;
        r.finish = true;
        if (isRecord(asRecord(d['response'])['meta'])) r.usage = true;
        break;
    }
    if (type === 'error' || d['error'] !== undefined) r.error = true;
    return r;
  });
}

function piece(chunk: TraceChunk): ChunkPiece | undefined {
  const d = asRecord(chunk.data);
  if (!isEvent(d)) return undefined;
  const type = typeOf(d, chunk.event);
  const m = deltaMessage(d);
  switch (type) {
    case 'content-delta': {
      const c = asRecord(m['content']);
      if (str(c['thinking'])) return { reasoning: str(c['thinking']) };
      return { text: str(c['text']) ?? '' };
    }
    case 'tool-plan-delta':
      return { reasoning: str(m['tool_plan']) ?? '' };
    case 'tool-call-start':
    case 'tool-call-delta': {
      const fn = asRecord(asRecord(m['tool_calls'])['function']);
      return { tool: { index: num(d['index']) ?? 0, name: str(fn['name']) || undefined, args: str(fn['arguments']) ?? '' } };
    }
    case 'message-end':
      return { label: `finish: ${String(asRecord(d['delta'])['finish_reason'] ?? '?')}` };
    case 'text-generation':
      return { text: str(d['text']) ?? '' };
    default:
      return { label: type };
  }
}

export const protocol: ProtocolModule = {
  id: 'cohere',
  provider: 'cohere',
  label: 'Cohere chat (v1 and v2)',
  recognise,
  answers: (r) => isRecord(asRecord(r)['message']) && 'finish_reason' in asRecord(r),
  framing: 'sse',
  reconstruct,
  summarize,
  roles,
  piece,
  hosts: ['api.cohere.com', 'api.cohere.ai'],
};
