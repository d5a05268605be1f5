/**
 * Ollama native API. `/api/chat` and `/api/generate` stream NDJSON: each line has the next piece of
 * text, and the final `done: true` line carries done_reason, durations and token counts. Other
 * `/api/*` endpoints (pull progress, tags, embed) are kept as they came.
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
import { statusWords } from './fault-text.js';
import { STRENGTH, type CallEvidence, type ChunkPiece, type ChunkRole, type ProtocolModule } from './protocol.js';
import type { TraceChunk } from '../types.js';

const objects = (chunks: ReadonlyArray<StreamChunk>): Json[] => chunks.map((c) => c.data).filter(isRecord).filter((d) => d['error'] === undefined);

/** `/api/chat`: message.content, message.thinking and tool_calls accumulate; everything else comes from the done line. */
function mergeChat(lines: Json[]): Json {
  const last = lines.find((l) => l['done'] === true) ?? lines[lines.length - 1]!;
  let content = '';
  let thinking: string | undefined;
  const toolCalls: unknown[] = [];
  let role: unknown;
  for (const line of lines) {
    const m = asRecord(line['message']);
    role ??= m['role'];
    if (typeof m['content'] === 'string') content += m['content'];
    if (typeof m['thinking'] === 'string') thinking = (thinking ?? '') + m['thinking'];
    toolCalls.push(...clone(asArray(m['tool_calls'])));
  }
  const message: Json = { ...clone(asRecord(last['message'])), role: role ?? 'assistant', content };
  if (thinking !== undefined) message['thinking'] = thinking;
  if (toolCalls.length) message['tool_calls'] = toolCalls;
  return { ...clone(last), message };
}

/** `/api/generate`: response and thinking accumulate; `context` and counts come from the done line. */
function mergeGenerate(lines: Json[]): Json {
  const last = lines.find((l) => l['done'] === true) ?? lines[lines.length - 1]!;
  const response = lines.map((l) => str(l['response']) ?? '').join('');
  const thinkingParts = lines.map((l) => l['thinking']).filter((t): t is string => typeof t === 'string');
  const out: Json = { ...clone(last), response };
  if (thinkingParts.length) out['thinking'] = thinkingParts.join('');
  return out;
}

export function firstContentIndex(chunks: ReadonlyArray<StreamChunk>): number | null {
  return firstIndex(chunks, (d) => {
    const m = asRecord(d['message']);
    return nonEmpty(m['content']) || nonEmpty(m['thinking']) || asArray(m['tool_calls']).length > 0 || nonEmpty(d['response']) || nonEmpty(d['thinking']);
  });
}

export function reconstruct(input: ProviderInput): ProviderResult {
  const fallbackModel = requestModel(input.request);
  if (!input.stream) {
    const r: ProviderResult = { model: str(asRecord(input.body)['model']) ?? fallbackModel, response: input.body ?? null, firstContentIndex: null };
    const error = bodyError(input.status, input.body);
    return error ? { ...r, error } : r;
  }
  const lines = objects(input.chunks);
  const chat = /\/api\/chat$/.test(input.endpoint);
  const generate = /\/api\/generate$/.test(input.endpoint);
  let response: unknown;
  if (lines.length && (chat || generate)) response = chat ? mergeChat(lines) : mergeGenerate(lines);
  // Other streaming endpoints (pull, push, create) are progress logs: the list is the response.
  else response = clone(lines.length ? input.chunks.map((c) => c.data).filter((d) => d !== undefined) : (input.chunks.find((c) => isRecord(c.data))?.data ?? null));
  let error = streamError(input.chunks);
  if (!error && input.status >= 400) error = `HTTP ${input.status}`;
  const model = str(asRecord(response)['model']) ?? str(lines[0]?.['model']) ?? fallbackModel;
  const r: ProviderResult = { model, response, firstContentIndex: chat || generate ? firstContentIndex(input.chunks) : null };
  return error ? { ...r, error } : r;
}

export function summarize(response: unknown): ResponseSummary {
  const r = asRecord(response);
  const out = emptySummary();
  const m = asRecord(r['message']);
  out.text = str(m['content']) ?? str(r['response']) ?? '';
  for (const raw of asArray(m['tool_calls'])) {
    const t = asRecord(raw);
    const fn = asRecord(t['function']);
    const call = { name: str(fn['name']) ?? '', arguments: toolArgs(fn['arguments']) };
    out.tool_calls.push(str(t['id']) ? { id: str(t['id']), ...call } : call);
  }
  out.finish_reason = str(r['done_reason']) ?? null;
  out.usage = usage(num(r['prompt_eval_count']), num(r['eval_count']));
  const reasoning = str(m['thinking']) ?? str(r['thinking']);
  if (reasoning) out.reasoning = reasoning;
  return out;
}

const API_PATH = /(?:^|\/)api\/(?:chat|generate|embed|embeddings|tags|show|pull|push|create|copy|delete|ps|version)$/;

/** An NDJSON line of `/api/chat` or `/api/generate`. */
const isLine = (v: unknown): boolean => isRecord(v) && typeof v['done'] === 'boolean' && ('message' in v || 'response' in v);

function recognise(e: CallEvidence): number {
  const first = e.chunks?.find((c) => isRecord(c.data))?.data ?? e.body;
  if (isLine(first)) return STRENGTH.body;
  if (API_PATH.test(e.path)) return STRENGTH.path;
  return e.host !== undefined && /^(?:localhost|127\.0\.0\.1|\[::1\]):11434$/.test(e.host) ? STRENGTH.host : 0;
}

const quote = (s: string) => JSON.stringify(s);

function roles(chunks: readonly TraceChunk[]): ChunkRole[] {
  let calls = 0;
  return chunks.map((c) => {
    const r: ChunkRole = {};
    const d = asRecord(c.data);
    if (d['error'] !== undefined) return { error: true };
    const m = asRecord(d['message']);
    if (nonEmpty(m['thinking']) || nonEmpty(d['thinking'])) {
      r.content = true;
      r.block = 'thinking';
      r.blockName = 'thinking';
    }
    if (nonEmpty(m['content']) || nonEmpty(d['response'])) {
      r.content = true;
      r.block = 'text';
      r.blockName = 'text';
    }
    for (const raw of asArray(m['tool_calls'])) {
      const name = str(asRecord(asRecord(raw)['function'])['name']) ?? '';
      r.toolStart ??= name;
      r.toolArgs ??= name;
      r.content = true;
      r.block = `tool:${calls++}`;
      r.blockName = `tool call ${quote(name)}`;
    }
    if (d['done'] === true) {
      r.terminator = true;
      r.finish = true;
      if (num(d['eval_count']) !== undefined || num(d['prompt_eval_count']) !== undefined) r.usage = true;
    }
    return r;
  });
}

function piece(chunk: TraceChunk): ChunkPiece | undefined {
  const d = asRecord(chunk.data);
  if (!('message' in d || 'response' in d || 'done' in d) || typeof d['type'] === 'string') return undefined;
  const msg = asRecord(d['message']);
  const out: ChunkPiece = {};
  const text = str(msg['content']) ?? str(d['response']);
  if (text) out.text = text;
  if (str(msg['thinking'])) out.reasoning = str(msg['thinking']);
  const call = asRecord(asRecord(asArray(msg['tool_calls'])[0])['function']);
  if (call['name']) out.tool = { index: 0, name: str(call['name']), args: JSON.stringify(call['arguments'] ?? {}) };
  if (d['done'] === true) out.label = `done: ${String(d['done_reason'] ?? 'stop')}`;
  return out;
}

/** A `/api/chat` line saying `content`; the last one says it is done. */
const chatLine = (model: string | null, content: string, done: boolean) => ({
  model: model ?? 'unknown',
  created_at: new Date(0).toISOString(),
  message: { role: 'assistant', content },
  done,
  ...(done ? { done_reason: 'stop' } : {}),
});

export const protocol: ProtocolModule = {
  id: 'ollama',
  provider: 'ollama',
  label: 'Ollama native API',
  recognise,
  answers: (r) => isRecord(asRecord(r)['message']) || typeof asRecord(r)['response'] === 'string',
  framing: 'ndjson',
  reconstruct,
  summarize,
  roles,
  piece,
  statusBody: (status) => JSON.stringify({ error: statusWords(status)[1] }),
  errorEvent: (ctx) => new TextEncoder().encode(`${JSON.stringify({ error: 'Overloaded (TraceForge fault)' })}${ctx.terminator}`),
  legacy: {
    names: /ollama/,
    path: () => '/api/chat',
    textEvent: (text, model) => chatLine(model, text, false),
    // A stream made of text pieces still needs the line that says it is done.
    complete: (payloads, fromText, model) => ({ before: [], after: fromText && !payloads.some((p) => asRecord(p)['done'] === true) ? [chatLine(model, '', true)] : [] }),
  },
  route: { name: 'ollama', label: 'Ollama', origin: 'http://localhost:11434', fallbackPath: /^\/api\//, env: { OLLAMA_HOST: '' } },
  // Only its port, so a test's own servers on loopback are left alone.
  hosts: ['localhost:11434', '127.0.0.1:11434', '[::1]:11434'],
};
