/**
 * AWS Bedrock runtime: `/model/{modelId}/converse-stream`, `/converse`, `/invoke-with-response-stream`
 * and `/invoke`. The streams are `application/vnd.amazon.eventstream`; each message is one chunk whose
 * `event` is its `:event-type` header (`:exception-type` for an exception) and whose `data` is the
 * JSON payload.
 *
 * - Converse stream: `messageStart`, `contentBlockStart` (a tool use's id and name), `contentBlockDelta`
 *   (text, tool input as JSON text, reasoning), `contentBlockStop`, `messageStop` (stopReason),
 *   `metadata` (usage, metrics) rebuild into the Converse response
 *   `{output:{message:{role, content}}, stopReason, usage, metrics}`.
 * - InvokeModelWithResponseStream: `chunk` events carry `{bytes: base64}` of the model's own event.
 *   Anthropic-on-Bedrock events rebuild with the Anthropic reconstructor; Converse-shaped events
 *   (`{contentBlockDelta:{...}}`, Amazon Nova) with the Converse one; anything else stays the list of
 *   decoded events.
 */
import * as anthropic from './anthropic.js';
import {
  asArray,
  asRecord,
  bodyError,
  clone,
  describeError,
  emptySummary,
  isRecord,
  nonEmpty,
  num,
  parseJsonOr,
  str,
  toolArgs,
  usage,
  type Json,
  type ProviderInput,
  type ProviderResult,
  type ResponseSummary,
  type StreamChunk,
} from './common.js';
import { encodeEventStreamMessage } from '../../stream/eventstream-encoder.js';
import { STRENGTH, type CallEvidence, type ChunkPiece, type ChunkRole, type EmbeddedPayload, type ProtocolModule } from './protocol.js';
import type { TraceChunk } from '../types.js';

const PATH = /\/model\/([^/]+)\/(converse-stream|converse|invoke-with-response-stream|invoke)$/;

/** True for a Bedrock runtime path. */
export function isBedrockPath(path: string): boolean {
  return PATH.test(path);
}

/** `us.amazon.nova-micro-v1:0` from `/model/us.amazon.nova-micro-v1%3A0/converse-stream`. */
export function modelFromPath(path: string): string | null {
  const m = PATH.exec(path.split('?')[0] ?? '');
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return m[1]!;
  }
}

const CONVERSE_EVENTS = new Set(['messageStart', 'contentBlockStart', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata']);

/** An exception message of the stream (`throttlingException`, `modelStreamErrorException`...), described. */
function exceptionOf(chunk: StreamChunk): string | undefined {
  const event = chunk.event ?? '';
  const d = asRecord(chunk.data);
  if (/Exception$/i.test(event)) return `${event}: ${str(d['message']) ?? str(d['Message']) ?? JSON.stringify(chunk.data)}`;
  return describeError(chunk.data);
}

interface BlockAcc {
  block: Json;
  input: string[] | null;
}

/** `{reasoningText:{text, signature}}` or `{redactedContent}`, as the non-stream Converse response has it. */
function applyReasoning(block: Json, delta: Json): void {
  const rc = asRecord((block['reasoningContent'] ??= {}));
  if (typeof delta['text'] === 'string' || typeof delta['signature'] === 'string') {
    const rt = asRecord((rc['reasoningText'] ??= {}));
    if (typeof delta['text'] === 'string') rt['text'] = (str(rt['text']) ?? '') + delta['text'];
    if (typeof delta['signature'] === 'string') rt['signature'] = (str(rt['signature']) ?? '') + delta['signature'];
  }
  if (typeof delta['redactedContent'] === 'string') rc['redactedContent'] = (str(rc['redactedContent']) ?? '') + delta['redactedContent'];
}

function applyDelta(acc: BlockAcc, delta: Json): void {
  const b = acc.block;
  if (typeof delta['text'] === 'string') b['text'] = (str(b['text']) ?? '') + delta['text'];
  const tool = asRecord(delta['toolUse']);
  if (typeof tool['input'] === 'string') {
    acc.input ??= [];
    acc.input.push(tool['input']);
    b['toolUse'] ??= {};
  }
  if (isRecord(delta['reasoningContent'])) applyReasoning(b, delta['reasoningContent']);
  if (isRecord(delta['citation'])) {
    const c = asRecord((b['citationsContent'] ??= {}));
    c['citations'] = [...asArray(c['citations']), clone(delta['citation'])];
  }
}

function finishBlock(acc: BlockAcc): void {
  const tool = acc.block['toolUse'];
  // Done once: at contentBlockStop, else at the end (a stream cut before the stop).
  if (!isRecord(tool) || (acc.input === null && tool['input'] !== undefined)) return;
  const text = (acc.input ?? []).join('');
  // The non-stream response has the input parsed; a stream cut mid-input keeps its text.
  tool['input'] = text.trim() === '' ? {} : parseJsonOr(text);
  acc.input = null;
}

/** Converse-stream events (already split into event name and payload) into the Converse response. */
export function mergeConverse(events: ReadonlyArray<{ event: string; data: Json }>): Json | null {
  let seen = false;
  let role = 'assistant';
  const blocks = new Map<number, BlockAcc>();
  const out: Json = {};
  const blockAt = (i: number): BlockAcc => {
    let acc = blocks.get(i);
    if (!acc) blocks.set(i, (acc = { block: {}, input: null }));
    return acc;
  };
  for (const { event, data } of events) {
    if (!CONVERSE_EVENTS.has(event)) continue;
    seen = true;
    const index = num(data['contentBlockIndex']) ?? 0;
    if (event === 'messageStart') role = str(data['role']) ?? role;
    else if (event === 'contentBlockStart') {
      const start = asRecord(data['start']);
      const acc = blockAt(index);
      if (isRecord(start['toolUse'])) {
        const { toolUseId, name, ...rest } = start['toolUse'];
        acc.block['toolUse'] = { ...clone(rest), toolUseId, name };
      }
    } else if (event === 'contentBlockDelta') applyDelta(blockAt(index), asRecord(data['delta']));
    else if (event === 'contentBlockStop') {
      const acc = blocks.get(index);
      if (acc) finishBlock(acc);
    } else if (event === 'messageStop') {
      if (data['stopReason'] !== undefined) out['stopReason'] = data['stopReason'];
      if (data['additionalModelResponseFields'] !== undefined) out['additionalModelResponseFields'] = clone(data['additionalModelResponseFields']);
    } else if (event === 'metadata') {
      for (const key of ['usage', 'metrics', 'trace', 'performanceConfig', 'serviceTier']) if (data[key] !== undefined) out[key] = clone(data[key]);
    }
  }
  if (!seen) return null;
  for (const acc of blocks.values()) finishBlock(acc);
  const content = [...blocks.entries()].sort(([a], [b]) => a - b).map(([, acc]) => acc.block);
  return { output: { message: { role, content } }, stopReason: out['stopReason'] ?? null, ...out };
}

function converseContentAt(event: string, data: Json): boolean {
  if (event === 'contentBlockStart') return isRecord(asRecord(data['start'])['toolUse']);
  if (event !== 'contentBlockDelta') return false;
  const d = asRecord(data['delta']);
  const rc = asRecord(d['reasoningContent']);
  return nonEmpty(d['text']) || nonEmpty(asRecord(d['toolUse'])['input']) || nonEmpty(rc['text']) || nonEmpty(rc['redactedContent']) || isRecord(d['citation']);
}

/**
 * InvokeModel's `chunk` payload `{bytes: base64}`: the model's own event as text. Undefined unless the
 * base64 is canonical and the text UTF-8, so that writing a redacted text back changes nothing else.
 */
export const embedded: EmbeddedPayload = {
  open(data) {
    const bytes = str(asRecord(data)['bytes']);
    if (bytes === undefined) return undefined;
    const buf = Buffer.from(bytes, 'base64');
    const text = buf.toString('utf8');
    return buf.toString('base64') === bytes && Buffer.from(text, 'utf8').equals(buf) ? text : undefined;
  },
  close: (data, text) => ({ ...asRecord(data), bytes: Buffer.from(text, 'utf8').toString('base64') }),
};

/** The event a `chunk` message carries: its base64 `bytes` decoded and parsed. */
function innerEvent(data: unknown): unknown {
  const bytes = str(asRecord(data)['bytes']);
  if (bytes === undefined) return undefined;
  return parseJsonOr(Buffer.from(bytes, 'base64').toString('utf8'));
}

/** A Converse-shaped inner event (`{contentBlockDelta:{...}}`) as event name and payload. */
function converseShaped(v: unknown): { event: string; data: Json } | undefined {
  if (!isRecord(v)) return undefined;
  const keys = Object.keys(v).filter((k) => k !== 'amazon-bedrock-invocationMetrics');
  if (keys.length !== 1 || !CONVERSE_EVENTS.has(keys[0]!) || !isRecord(v[keys[0]!])) return undefined;
  return { event: keys[0]!, data: v[keys[0]!] as Json };
}


function withError(r: ProviderResult, error: string | undefined): ProviderResult {
  return error === undefined ? r : { ...r, error };
}

/** One inner event per outer message, so indexes line up (exceptions stay as they are). */
function innerEvents(chunks: ReadonlyArray<StreamChunk>): StreamChunk[] {
  return chunks.map((c) => {
    if (c.event !== undefined && c.event !== 'chunk') return { event: c.event, data: c.data };
    const data = innerEvent(c.data);
    const type = str(asRecord(data)['type']);
    return type !== undefined ? { event: type, data } : { data };
  });
}

function reconstructInvokeStream(input: ProviderInput, model: string | null): ProviderResult {
  const inner = innerEvents(input.chunks);
  let error: string | undefined;
  for (const c of input.chunks) if (c.event !== 'chunk') error ??= exceptionOf(c);
  if (!error && input.status >= 400) error = `HTTP ${input.status}`;
  if (inner.some((c) => anthropic.EVENT_TYPES.has(str(asRecord(c.data)['type']) ?? ''))) {
    const r = anthropic.reconstruct({ ...input, chunks: inner, stream: true });
    return withError({ ...r, model: model ?? r.model }, r.error ?? error);
  }
  const converse = inner.map((c) => converseShaped(c.data));
  if (converse.some(Boolean)) {
    const events = converse.filter((e): e is { event: string; data: Json } => e !== undefined);
    const first = converse.findIndex((e) => e !== undefined && converseContentAt(e.event, e.data));
    return withError({ model, response: mergeConverse(events), firstContentIndex: first < 0 ? null : first }, error);
  }
  const events = inner.map((c) => c.data).filter((d) => d !== undefined);
  const first = inner.findIndex((c) => c.data !== undefined);
  return withError({ model, response: clone(events), firstContentIndex: first < 0 ? null : first }, error);
}

export function reconstruct(input: ProviderInput): ProviderResult {
  const model = modelFromPath(input.endpoint);
  if (!input.stream) {
    const body = input.body ?? null;
    // Bedrock's errors are `{message}` with the kind in the x-amzn-errortype header.
    const message = str(asRecord(body)['message']) ?? str(asRecord(body)['Message']);
    const error = input.status >= 400 && message ? `HTTP ${input.status}: ${message}` : bodyError(input.status, body);
    return withError({ model: model ?? str(asRecord(body)['model']) ?? null, response: body, firstContentIndex: null }, error);
  }
  if (/\/invoke-with-response-stream$/.test(input.endpoint) || input.chunks.some((c) => c.event === 'chunk')) return reconstructInvokeStream(input, model);
  const events: Array<{ event: string; data: Json }> = [];
  let first: number | null = null;
  let error: string | undefined;
  input.chunks.forEach((c, i) => {
    const event = c.event ?? '';
    if (CONVERSE_EVENTS.has(event) && isRecord(c.data)) {
      events.push({ event, data: c.data });
      if (first === null && converseContentAt(event, c.data)) first = i;
    } else {
      error ??= exceptionOf(c);
    }
  });
  if (!error && input.status >= 400) error = `HTTP ${input.status}`;
  const merged = mergeConverse(events);
  const errorPayload = input.chunks.find((c) => /Exception$/i.test(c.event ?? ''))?.data;
  return withError({ model, response: merged ?? (errorPayload !== undefined ? clone(errorPayload) : null), firstContentIndex: first }, error);
}

function summarizeConverse(r: Json): ResponseSummary {
  const out = emptySummary();
  const text: string[] = [];
  const reasoning: string[] = [];
  for (const raw of asArray(asRecord(asRecord(r['output'])['message'])['content'])) {
    const b = asRecord(raw);
    if (typeof b['text'] === 'string') text.push(b['text']);
    const tool = asRecord(b['toolUse']);
    if (str(tool['name'])) {
      const call = { name: str(tool['name'])!, arguments: toolArgs(tool['input']) };
      out.tool_calls.push(str(tool['toolUseId']) ? { id: str(tool['toolUseId']), ...call } : call);
    }
    const rt = str(asRecord(asRecord(b['reasoningContent'])['reasoningText'])['text']);
    if (rt) reasoning.push(rt);
  }
  out.text = text.join('');
  out.finish_reason = str(r['stopReason']) ?? null;
  const u = asRecord(r['usage']);
  out.usage = usage(num(u['inputTokens']), num(u['outputTokens']), num(u['totalTokens']));
  if (reasoning.length) out.reasoning = reasoning.join('\n\n');
  return out;
}

/** Converse responses; an Anthropic message (InvokeModel with Claude) is read as Anthropic's. */
export function summarize(response: unknown): ResponseSummary {
  const r = asRecord(response);
  if (isRecord(r['output']) || r['stopReason'] !== undefined) return summarizeConverse(r);
  if (r['type'] === 'message' || Array.isArray(r['content'])) return anthropic.summarize(response);
  return emptySummary();
}

const isInvoke = (chunks: ReadonlyArray<StreamChunk>): boolean => chunks.some((c) => c.event === 'chunk' && typeof asRecord(c.data)['bytes'] === 'string');

function recognise(e: CallEvidence): number {
  if (PATH.test(e.path)) return STRENGTH.ownPath;
  if (/application\/vnd\.amazon\.eventstream/i.test(e.contentType ?? '')) return STRENGTH.body;
  const chunks = e.chunks ?? [];
  if (isInvoke(chunks) || chunks.some((c) => CONVERSE_EVENTS.has(c.event ?? '') && isRecord(c.data))) return STRENGTH.body;
  return e.host !== undefined && /^bedrock-runtime(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com$/.test(e.host) ? STRENGTH.host : 0;
}

const quote = (s: string) => JSON.stringify(s);
const isException = (c: StreamChunk): boolean => /Exception$/i.test(c.event ?? '');

/** Roles of Converse events, by `:event-type` and payload. */
function converseRoles(events: ReadonlyArray<{ event: string; data: Json } | undefined>): ChunkRole[] {
  const tools = new Map<number, string>();
  const kinds = new Map<number, string>();
  return events.map((e) => {
    const r: ChunkRole = {};
    if (!e) return r;
    const index = num(e.data['contentBlockIndex']) ?? 0;
    const block = `block:${index}`;
    if (e.event === 'contentBlockStart') {
      const tool = asRecord(asRecord(e.data['start'])['toolUse']);
      r.block = block;
      if (isRecord(asRecord(e.data['start'])['toolUse'])) {
        const name = str(tool['name']) ?? '';
        tools.set(index, name);
        r.toolStart = name;
        r.content = true;
      }
    } else if (e.event === 'contentBlockDelta') {
      const delta = asRecord(e.data['delta']);
      r.block = block;
      if (converseContentAt(e.event, e.data)) r.content = true;
      if (nonEmpty(asRecord(delta['toolUse'])['input'])) r.toolArgs = tools.get(index) ?? '';
    } else if (e.event === 'contentBlockStop') r.block = block;
    else if (e.event === 'messageStop') r.finish = true;
    else if (e.event === 'metadata' && isRecord(e.data['usage'])) r.usage = true;
    if (r.block !== undefined) {
      // A block is what its first event says it is: a tool use, reasoning or text.
      const tool = tools.get(index);
      if (!kinds.has(index)) kinds.set(index, isRecord(asRecord(e.data['delta'])['reasoningContent']) ? 'reasoningContent' : 'text');
      r.blockName = tool !== undefined ? `toolUse ${quote(tool)}` : kinds.get(index);
    }
    return r;
  });
}

/**
 * Sweep roles: Converse events by name; InvokeModel `chunk`s by the model's own event inside (an
 * Anthropic stream's roles, or Converse-shaped ones), with the invocation metrics as usage.
 */
function roles(chunks: readonly TraceChunk[]): ChunkRole[] {
  let out: ChunkRole[];
  if (isInvoke(chunks)) {
    const inner = innerEvents(chunks);
    out = inner.some((c) => anthropic.EVENT_TYPES.has(str(asRecord(c.data)['type']) ?? ''))
      ? anthropic.roles(inner)
      : converseRoles(inner.map((c) => converseShaped(c.data)));
    inner.forEach((c, i) => {
      if (isRecord(asRecord(c.data)['amazon-bedrock-invocationMetrics'])) out[i]!.usage = true;
    });
  } else {
    out = converseRoles(chunks.map((c) => (CONVERSE_EVENTS.has(c.event ?? '') && isRecord(c.data) ? { event: c.event!, data: c.data } : undefined)));
  }
  chunks.forEach((c, i) => {
    if (isException(c)) out[i] = { error: true };
  });
  return out;
}

/** `trace view`'s reading of a Converse event. */
function conversePiece(event: string, d: Json): ChunkPiece {
  switch (event) {
    case 'contentBlockDelta': {
      const delta = asRecord(d['delta']);
      const out: ChunkPiece = {};
      if (str(delta['text'])) out.text = str(delta['text']);
      const rc = asRecord(delta['reasoningContent']);
      if (str(rc['text'])) out.reasoning = str(rc['text']);
      const tool = asRecord(delta['toolUse']);
      if (typeof tool['input'] === 'string') out.tool = { index: num(d['contentBlockIndex']) ?? 0, args: tool['input'] };
      if (!out.text && !out.reasoning && !out.tool) out.label = event;
      return out;
    }
    case 'contentBlockStart': {
      const tool = asRecord(asRecord(d['start'])['toolUse']);
      return tool['name'] ? { tool: { index: num(d['contentBlockIndex']) ?? 0, name: str(tool['name']) } } : { label: event };
    }
    case 'messageStop':
      return { label: `stop: ${String(d['stopReason'] ?? '?')}` };
    case 'metadata':
      return { label: 'usage' };
    default:
      return { label: event };
  }
}

function piece(chunk: TraceChunk): ChunkPiece | undefined {
  const event = chunk.event ?? '';
  if (CONVERSE_EVENTS.has(event) && isRecord(chunk.data)) return conversePiece(event, chunk.data);
  if (event !== 'chunk' || typeof asRecord(chunk.data)['bytes'] !== 'string') return undefined;
  const inner = innerEvent(chunk.data);
  const converse = converseShaped(inner);
  if (converse) return conversePiece(converse.event, converse.data);
  const own = anthropic.piece({ data: inner });
  if (own) return own;
  // Other models' own events: Llama's `generation`, Titan's `outputText`, Claude's older `completion`.
  const o = asRecord(inner);
  const text = str(o['generation']) ?? str(o['outputText']) ?? str(o['completion']);
  return text ? { text } : { label: event };
}

export const protocol: ProtocolModule = {
  id: 'bedrock',
  provider: 'bedrock',
  label: 'AWS Bedrock (Converse and InvokeModel)',
  recognise,
  answers: (r) => isRecord(asRecord(r)['output']) && asRecord(r)['stopReason'] !== undefined,
  framing: 'eventstream',
  reconstruct,
  summarize,
  roles,
  piece,
  // A modelled exception message, which the AWS SDK raises as ServiceUnavailableException.
  errorEvent: () =>
    encodeEventStreamMessage(
      { ':message-type': 'exception', ':exception-type': 'serviceUnavailableException', ':content-type': 'application/json' },
      JSON.stringify({ message: 'The service is unavailable. (TraceForge fault)' }),
    ),
  hosts: ['bedrock-runtime.*.amazonaws.com'],
  embedded,
};
