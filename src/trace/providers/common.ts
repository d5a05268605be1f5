/**
 * Types and small helpers shared by the provider reconstructors. Every function here is total:
 * recorded data can be truncated, redacted or from a provider that bent the spec, so nothing throws.
 */

/** One parsed stream event: `data` is the JSON value when the payload parsed, else the string. */
export interface StreamChunk {
  event?: string;
  data?: unknown;
}

/** What every provider module needs to rebuild a response. */
export interface ProviderInput {
  endpoint: string;
  url?: string;
  request: unknown;
  status: number;
  stream: boolean;
  chunks: ReadonlyArray<StreamChunk>;
  body?: unknown;
}

/** A provider module's answer; `reconstruct.ts` adds the provider name. */
export interface ProviderResult {
  model: string | null;
  response: unknown;
  firstContentIndex: number | null;
  error?: string;
}

export interface ToolCallSummary {
  id?: string;
  name: string;
  /** Parsed JSON, or the raw string when it does not parse (e.g. a stream cut mid-argument). */
  arguments: unknown;
}

export interface UsageSummary {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
}

/** Provider-neutral view of a response, for the TUI and test generation. */
export interface ResponseSummary {
  text: string;
  tool_calls: ToolCallSummary[];
  finish_reason: string | null;
  usage: UsageSummary | null;
  reasoning?: string;
}

export type Json = Record<string, unknown>;

export function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function asRecord(v: unknown): Json {
  return isRecord(v) ? v : {};
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** JSON.parse that returns the input string when it is not JSON. */
export function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Tool arguments as the summary wants them: objects stay objects, strings are parsed when they can be. */
export function toolArgs(v: unknown): unknown {
  return typeof v === 'string' ? (v.trim() === '' ? {} : parseJsonOr(v)) : (v ?? {});
}

export function emptySummary(): ResponseSummary {
  return { text: '', tool_calls: [], finish_reason: null, usage: null };
}

/** Drop undefined counts so summaries compare cleanly; null when nothing was reported. */
export function usage(input: number | undefined, output: number | undefined, total?: number): UsageSummary | null {
  const u: UsageSummary = {};
  if (input !== undefined) u.input_tokens = input;
  if (output !== undefined) u.output_tokens = output;
  const t = total ?? (input !== undefined && output !== undefined ? input + output : undefined);
  if (t !== undefined) u.total_tokens = t;
  return Object.keys(u).length ? u : null;
}

/** `request.model` when the request named one: the fallback when the response does not. */
export function requestModel(request: unknown): string | null {
  return str(asRecord(request)['model']) ?? null;
}

/**
 * Read the error a provider put in a body or stream event:
 * OpenAI `{error:{type,code,message}}`, Anthropic `{type:'error',error:{type,message}}`,
 * Gemini `{error:{code,status,message}}` (also inside an array), Ollama `{error:"..."}`.
 */
export function describeError(v: unknown): string | undefined {
  if (Array.isArray(v)) {
    for (const item of v) {
      const e = describeError(item);
      if (e) return e;
    }
    return undefined;
  }
  if (!isRecord(v)) return undefined;
  const e = v['error'];
  if (typeof e === 'string') return e;
  if (!isRecord(e)) return undefined;
  const kind = str(e['type']) ?? str(e['status']) ?? str(e['code']) ?? (num(e['code']) !== undefined ? String(e['code']) : undefined);
  const message = str(e['message']) ?? JSON.stringify(e);
  return kind && !message.startsWith(kind) ? `${kind}: ${message}` : message;
}

/** Error for a non-stream body: the structured one when present, else the HTTP status for a failed call. */
export function bodyError(status: number, body: unknown): string | undefined {
  const found = describeError(body);
  if (found) return found;
  if (status < 400) return undefined;
  const snippet = typeof body === 'string' ? body.trim().slice(0, 200) : '';
  return snippet ? `HTTP ${status}: ${snippet}` : `HTTP ${status}`;
}

/** The first stream event that carries an error payload, described. */
export function streamError(chunks: ReadonlyArray<StreamChunk>): string | undefined {
  for (const c of chunks) {
    const e = describeError(c.data);
    if (e) return e;
  }
  return undefined;
}

/** Index of the first chunk for which `test` holds, or null. */
export function firstIndex(chunks: ReadonlyArray<StreamChunk>, test: (data: Json, event: string | undefined) => boolean): number | null {
  for (let i = 0; i < chunks.length; i++) {
    const d = chunks[i]!.data;
    if (isRecord(d) && test(d, chunks[i]!.event)) return i;
  }
  return null;
}

export function nonEmpty(v: unknown): boolean {
  return typeof v === 'string' && v.length > 0;
}

/** Deep copy of JSON data so rebuilt responses never alias the trace's chunks. */
export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}
