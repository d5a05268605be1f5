import { eventPreview } from '../mcp/message.js';
import type { TraceChunk } from '../trace/types.js';

/**
 * What one stream event adds to the message, whatever the provider: a text delta, a reasoning delta,
 * a piece of a tool call, or only a lifecycle label (`ping`, `[DONE]`, `finish: stop`).
 * Recognised by shape, so a trace whose provider was detected as `unknown` still previews.
 */
export interface ChunkPiece {
  text?: string;
  reasoning?: string;
  tool?: { index: number; name?: string; args?: string };
  label?: string;
}

type J = Record<string, unknown>;
const obj = (v: unknown): J => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as J) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: unknown, d = 0): number => (typeof v === 'number' && Number.isInteger(v) ? v : d);

/** The answer text of content parts (`{type:'text', text}`). */
function partsText(parts: unknown[]): string {
  return parts.map((p) => (obj(p).type === 'text' ? (str(obj(p).text) ?? '') : '')).join('');
}

/** Reasoning text of parts: OpenRouter `reasoning_details` items, Mistral `thinking` parts. */
function reasoningOfParts(parts: unknown[]): string {
  return parts
    .map((raw) => {
      const p = obj(raw);
      if (p.type === 'reasoning.text') return str(p.text) ?? '';
      if (p.type === 'reasoning.summary') return str(p.summary) ?? '';
      if (p.type === 'thinking') return str(p.thinking) ?? partsText(arr(p.thinking));
      return '';
    })
    .join('');
}

function openaiChat(d: J): ChunkPiece {
  const choice = obj(arr(d.choices)[0]);
  const delta = obj(choice.delta);
  const tc = obj(arr(delta.tool_calls)[0]);
  const fn = obj(tc.function);
  const piece: ChunkPiece = {};
  // Mistral sends `content` as an array of parts: text parts and thinking parts.
  const parts = arr(delta.content);
  const text = str(delta.content) ?? (parts.length ? partsText(parts) : undefined) ?? str(choice.text);
  if (text) piece.text = text;
  const reasoning = str(delta.reasoning_content) || str(delta.reasoning) || reasoningOfParts(arr(delta.reasoning_details)) || reasoningOfParts(parts);
  if (reasoning) piece.reasoning = reasoning;
  if (Object.keys(tc).length > 0) piece.tool = { index: int(tc.index), name: str(fn.name), args: str(fn.arguments) };
  if (choice.finish_reason) piece.label = `finish: ${String(choice.finish_reason)}`;
  else if (arr(d.choices).length === 0 && d.usage) piece.label = 'usage';
  else if (!piece.text && !piece.tool && !piece.reasoning && delta.role) piece.label = `role: ${String(delta.role)}`;
  return piece;
}

function typed(d: J): ChunkPiece {
  const type = String(d.type);
  const delta = obj(d.delta);
  switch (type) {
    case 'content_block_delta':
      if (delta.type === 'text_delta') return { text: str(delta.text) ?? '' };
      if (delta.type === 'thinking_delta') return { reasoning: str(delta.thinking) ?? '' };
      if (delta.type === 'input_json_delta') return { tool: { index: int(d.index), args: str(delta.partial_json) ?? '' } };
      return { label: String(delta.type ?? type) };
    case 'content_block_start': {
      const block = obj(d.content_block);
      if (block.type === 'tool_use') return { tool: { index: int(d.index), name: str(block.name) ?? '?' } };
      return { label: `${type} (${String(block.type)})` };
    }
    case 'message_delta':
      return { label: `stop: ${String(delta.stop_reason ?? '?')}` };
    case 'response.output_text.delta':
      return { text: str(d.delta) ?? '' };
    case 'response.reasoning_summary_text.delta':
    case 'response.reasoning_text.delta':
      return { reasoning: str(d.delta) ?? '' };
    case 'response.function_call_arguments.delta':
      return { tool: { index: int(d.output_index), args: str(d.delta) ?? '' } };
    case 'response.output_item.added': {
      const item = obj(d.item);
      if (item.type === 'function_call') return { tool: { index: int(d.output_index), name: str(item.name) ?? '?' } };
      return { label: type };
    }
    // Cohere v2 chat.
    case 'content-delta': {
      const c = obj(obj(obj(d.delta).message).content);
      if (str(c.thinking)) return { reasoning: str(c.thinking) };
      return { text: str(c.text) ?? '' };
    }
    case 'tool-plan-delta':
      return { reasoning: str(obj(obj(d.delta).message).tool_plan) ?? '' };
    case 'tool-call-start':
    case 'tool-call-delta': {
      const tc = obj(obj(obj(d.delta).message).tool_calls);
      const fn = obj(tc.function);
      return { tool: { index: int(d.index), name: str(fn.name) || undefined, args: str(fn.arguments) ?? '' } };
    }
    case 'message-end':
      return { label: `finish: ${String(obj(d.delta).finish_reason ?? '?')}` };
    default:
      return { label: type };
  }
}

const BEDROCK_EVENTS = new Set(['messageStart', 'contentBlockStart', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata']);

/** Bedrock Converse stream events: the payload of the event named by `:event-type`. */
function bedrock(event: string, d: J): ChunkPiece {
  switch (event) {
    case 'contentBlockDelta': {
      const delta = obj(d.delta);
      const piece: ChunkPiece = {};
      if (str(delta.text)) piece.text = str(delta.text);
      const rc = obj(delta.reasoningContent);
      if (str(rc.text)) piece.reasoning = str(rc.text);
      const tool = obj(delta.toolUse);
      if (typeof tool.input === 'string') piece.tool = { index: int(d.contentBlockIndex), args: tool.input };
      if (!piece.text && !piece.reasoning && !piece.tool) piece.label = event;
      return piece;
    }
    case 'contentBlockStart': {
      const tool = obj(obj(d.start).toolUse);
      return tool.name ? { tool: { index: int(d.contentBlockIndex), name: str(tool.name) } } : { label: event };
    }
    case 'messageStop':
      return { label: `stop: ${String(d.stopReason ?? '?')}` };
    case 'metadata':
      return { label: 'usage' };
    default:
      return { label: event };
  }
}

/** InvokeModelWithResponseStream: a `chunk` event's base64 `bytes` hold the model's own event. */
function bedrockInner(d: J): ChunkPiece | undefined {
  const bytes = str(d.bytes);
  if (bytes === undefined) return undefined;
  let inner: unknown;
  try {
    inner = JSON.parse(Buffer.from(bytes, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  const o = obj(inner);
  const keys = Object.keys(o).filter((k) => k !== 'amazon-bedrock-invocationMetrics');
  if (keys.length === 1 && BEDROCK_EVENTS.has(keys[0]!)) return bedrock(keys[0]!, obj(o[keys[0]!]));
  return chunkPiece({ delta_ms: 0, raw: '', data: inner });
}

function gemini(d: J): ChunkPiece {
  const cand = obj(arr(d.candidates)[0]);
  const piece: ChunkPiece = {};
  arr(obj(cand.content).parts).forEach((p, i) => {
    const part = obj(p);
    if (typeof part.text === 'string') {
      if (part.thought === true) piece.reasoning = (piece.reasoning ?? '') + part.text;
      else piece.text = (piece.text ?? '') + part.text;
    }
    const call = obj(part.functionCall);
    if (call.name) piece.tool = { index: i, name: str(call.name), args: JSON.stringify(call.args ?? {}) };
  });
  if (!piece.text && !piece.tool && cand.finishReason) piece.label = `finish: ${String(cand.finishReason)}`;
  return piece;
}

function ollama(d: J): ChunkPiece {
  const msg = obj(d.message);
  const piece: ChunkPiece = {};
  const text = str(msg.content) ?? str(d.response);
  if (text) piece.text = text;
  if (str(msg.thinking)) piece.reasoning = str(msg.thinking);
  const call = obj(obj(arr(msg.tool_calls)[0]).function);
  if (call.name) piece.tool = { index: 0, name: str(call.name), args: JSON.stringify(call.arguments ?? {}) };
  if (d.done === true) piece.label = `done: ${String(d.done_reason ?? 'stop')}`;
  return piece;
}

/** Decode one chunk's contribution. */
export function chunkPiece(chunk: TraceChunk): ChunkPiece {
  const d = chunk.data;
  if (typeof d === 'string') return { label: d.length > 40 ? `${d.slice(0, 40)}…` : d };
  const o = obj(d);
  if ('choices' in o) return openaiChat(o);
  if (typeof o.type === 'string') return typed(o);
  if ('candidates' in o) return gemini(o);
  if (chunk.event !== undefined && BEDROCK_EVENTS.has(chunk.event)) return bedrock(chunk.event, o);
  if (chunk.event === 'chunk') {
    const inner = bedrockInner(o);
    if (inner) return inner;
  }
  if ('message' in o || 'response' in o || 'done' in o) return ollama(o);
  if (chunk.partial) return { label: 'partial frame' };
  return { label: chunk.event ?? (chunk.comments?.length ? `: ${chunk.comments[0]}` : 'event') };
}

/** A one-line preview for the timeline: the quoted delta, the tool-call piece or the lifecycle label. */
export function chunkPreview(chunk: TraceChunk): string {
  const p = chunkPiece(chunk);
  if (p.text) return JSON.stringify(p.text);
  if (p.tool) return `⚙ ${p.tool.name ?? ''}${p.tool.name ? '(' : ''}${p.tool.args ?? ''}`;
  if (p.reasoning) return `∴ ${JSON.stringify(p.reasoning)}`;
  const mcp = eventPreview(chunk.data);
  if (mcp !== undefined) return mcp;
  return `(${p.label ?? chunk.event ?? 'event'})`;
}

/** Builds the growing message during a replay, one chunk at a time. */
export class MessageBuilder {
  text = '';
  reasoning = '';
  private tools = new Map<number, { name: string; args: string }>();

  push(chunk: TraceChunk): void {
    const p = chunkPiece(chunk);
    if (p.text) this.text += p.text;
    if (p.reasoning) this.reasoning += p.reasoning;
    if (p.tool) {
      const t = this.tools.get(p.tool.index) ?? { name: '', args: '' };
      if (p.tool.name) t.name = p.tool.name;
      if (p.tool.args) t.args += p.tool.args;
      this.tools.set(p.tool.index, t);
    }
  }

  toolCalls(): Array<{ name: string; args: string }> {
    return [...this.tools.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t);
  }
}
