/**
 * Google Gemini `:generateContent` and `:streamGenerateContent` (Gemini API and Vertex paths).
 * With `?alt=sse` each event is a whole GenerateContentResponse holding the next slice of every
 * candidate; without it the body is one JSON array of the same objects. Both merge the same way.
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
import { sseEventBytes, statusWords } from './fault-text.js';
import { STRENGTH, type CallEvidence, type ChunkPiece, type ChunkRole, type ProtocolModule } from './protocol.js';
import type { TraceChunk } from '../types.js';

/** `gemini-2.0-flash` from `/v1beta/models/gemini-2.0-flash:streamGenerateContent` (also tunedModels/ and Vertex publishers/). */
export function modelFromPath(path: string): string | null {
  const m = /\/(?:models|tunedModels)\/([^/:?]+)/.exec(path);
  return m ? decodeURIComponent(m[1]!) : null;
}

const isTextPart = (p: Json): boolean => typeof p['text'] === 'string' && Object.keys(p).every((k) => k === 'text' || k === 'thought' || k === 'thoughtSignature');

/** Adjacent text parts of the same kind (answer or thought) join, as they would in one non-stream part. */
function mergeParts(target: Json[], parts: unknown[]): void {
  for (const raw of parts) {
    if (!isRecord(raw)) continue;
    const last = target[target.length - 1];
    if (last && isTextPart(raw) && isTextPart(last) && Boolean(last['thought']) === Boolean(raw['thought']) && !last['thoughtSignature']) {
      last['text'] = str(last['text'])! + str(raw['text'])!;
      if (raw['thoughtSignature']) last['thoughtSignature'] = raw['thoughtSignature'];
    } else {
      target.push(clone(raw));
    }
  }
}

function mergeCandidate(acc: Json, c: Json): void {
  for (const [key, value] of Object.entries(c)) {
    if (key === 'content' && isRecord(value)) {
      const content = asRecord((acc['content'] ??= { parts: [], role: value['role'] ?? 'model' }));
      if (!Array.isArray(content['parts'])) content['parts'] = [];
      if (value['role'] !== undefined) content['role'] = value['role'];
      mergeParts(content['parts'] as Json[], asArray(value['parts']));
    } else if (key === 'citationMetadata' && isRecord(value)) {
      const prev = asArray(asRecord(acc['citationMetadata'])['citations']);
      acc['citationMetadata'] = { ...clone(value), citations: [...prev, ...clone(asArray(value['citations']))] };
    } else if (value !== null && value !== undefined) {
      acc[key] = clone(value);
    }
  }
}

/** Merge GenerateContentResponse slices into one; null when none of them looked like one. */
export function mergeResponses(items: ReadonlyArray<unknown>): Json | null {
  const out: Json = {};
  const candidates = new Map<number, Json>();
  let seen = false;
  for (const item of items) {
    if (!isRecord(item) || item['error'] !== undefined) continue;
    seen = true;
    for (const [key, value] of Object.entries(item)) {
      if (key !== 'candidates' && value !== null && value !== undefined) out[key] = clone(value);
    }
    asArray(item['candidates']).forEach((raw, position) => {
      if (!isRecord(raw)) return;
      const index = num(raw['index']) ?? position;
      const acc = candidates.get(index) ?? {};
      candidates.set(index, acc);
      mergeCandidate(acc, raw);
    });
  }
  if (!seen) return null;
  const merged = [...candidates.entries()].sort(([a], [b]) => a - b).map(([, c]) => c);
  return { candidates: merged, ...out };
}

export function firstContentIndex(chunks: ReadonlyArray<StreamChunk>): number | null {
  return firstIndex(chunks, (d) =>
    asArray(d['candidates']).some((c) =>
      asArray(asRecord(asRecord(c)['content'])['parts']).some((raw) => {
        const p = asRecord(raw);
        // A part that is only a signature or an empty string carries nothing the user sees yet.
        return nonEmpty(p['text']) || Object.keys(p).some((k) => k !== 'text' && k !== 'thought' && k !== 'thoughtSignature');
      }),
    ),
  );
}

export function reconstruct(input: ProviderInput): ProviderResult {
  const pathModel = modelFromPath(input.endpoint);
  const modelOf = (r: unknown) => str(asRecord(r)['modelVersion']) ?? pathModel ?? requestModel(input.request);
  if (!input.stream) {
    // streamGenerateContent without alt=sse answers with a JSON array of slices.
    const response = Array.isArray(input.body) ? (mergeResponses(input.body) ?? input.body) : (input.body ?? null);
    const r: ProviderResult = { model: modelOf(response), response, firstContentIndex: null };
    const error = bodyError(input.status, input.body);
    return error ? { ...r, error } : r;
  }
  const merged = mergeResponses(input.chunks.map((c) => c.data));
  let error = streamError(input.chunks);
  if (!error && input.status >= 400) error = `HTTP ${input.status}`;
  const errorPayload = input.chunks.find((c) => isRecord(c.data) && c.data['error'] !== undefined)?.data;
  const response = merged ?? errorPayload ?? null;
  const r: ProviderResult = { model: modelOf(response), response, firstContentIndex: firstContentIndex(input.chunks) };
  return error ? { ...r, error } : r;
}

export function summarize(response: unknown): ResponseSummary {
  const out = emptySummary();
  const r = asRecord(Array.isArray(response) ? mergeResponses(response) : response);
  const candidate = asRecord(asArray(r['candidates'])[0]);
  const text: string[] = [];
  const thoughts: string[] = [];
  for (const raw of asArray(asRecord(candidate['content'])['parts'])) {
    const p = asRecord(raw);
    if (typeof p['text'] === 'string') (p['thought'] ? thoughts : text).push(p['text']);
    const fc = asRecord(p['functionCall']);
    if (str(fc['name'])) {
      const call = { name: str(fc['name'])!, arguments: toolArgs(fc['args']) };
      out.tool_calls.push(str(fc['id']) ? { id: str(fc['id']), ...call } : call);
    }
  }
  out.text = text.join('');
  out.finish_reason = str(candidate['finishReason']) ?? null;
  const u = asRecord(r['usageMetadata']);
  out.usage = usage(num(u['promptTokenCount']), num(u['candidatesTokenCount']), num(u['totalTokenCount']));
  if (thoughts.length) out.reasoning = thoughts.join('');
  return out;
}

/** A GenerateContentResponse: alone, or the first of a JSON array (a stream without `alt=sse`). */
const hasCandidates = (v: unknown): boolean => Array.isArray(asRecord(Array.isArray(v) ? v[0] : v)['candidates']);

function recognise(e: CallEvidence): number {
  const first = e.chunks?.find((c) => typeof c.data === 'object' && c.data !== null)?.data ?? e.body;
  if (hasCandidates(first)) return STRENGTH.body;
  if (/:(?:stream)?[gG]enerateContent$|:(?:countTokens|embedContent|batchEmbedContents)$/.test(e.path)) return STRENGTH.path;
  if (e.headers?.['x-goog-api-key'] !== undefined || /(?:^|&)key=/.test(e.query ?? '') || /\/v1(?:alpha|beta)\d*\//.test(e.path)) return STRENGTH.header;
  return e.host === 'generativelanguage.googleapis.com' ? STRENGTH.host : 0;
}

const quote = (s: string) => JSON.stringify(s);

function roles(chunks: readonly TraceChunk[]): ChunkRole[] {
  let calls = 0;
  return chunks.map((c) => {
    const r: ChunkRole = {};
    const d = c.data;
    const items = Array.isArray(d) ? d : [d];
    for (const item of items) {
      const rec = asRecord(item);
      if (rec['error'] !== undefined) r.error = true;
      if (isRecord(rec['usageMetadata'])) r.usage = true;
      for (const rawCand of asArray(rec['candidates'])) {
        const cand = asRecord(rawCand);
        if (nonEmpty(cand['finishReason'])) r.finish = true;
        for (const rawPart of asArray(asRecord(cand['content'])['parts'])) {
          const p = asRecord(rawPart);
          if (isRecord(p['functionCall'])) {
            const name = str(asRecord(p['functionCall'])['name']) ?? '';
            r.toolStart ??= name;
            r.toolArgs ??= name;
            r.content = true;
            r.block = `tool:${calls++}`;
            r.blockName = `functionCall ${quote(name)}`;
          } else if (nonEmpty(p['text'])) {
            r.content = true;
            r.block ??= p['thought'] === true ? 'thought' : 'text';
            r.blockName ??= p['thought'] === true ? 'thought' : 'text';
          }
        }
      }
    }
    return r;
  });
}

function piece(chunk: TraceChunk): ChunkPiece | undefined {
  const d = asRecord(chunk.data);
  if (!('candidates' in d) || typeof d['type'] === 'string') return undefined;
  const cand = asRecord(asArray(d['candidates'])[0]);
  const out: ChunkPiece = {};
  asArray(asRecord(cand['content'])['parts']).forEach((p, i) => {
    const part = asRecord(p);
    if (typeof part['text'] === 'string') {
      if (part['thought'] === true) out.reasoning = (out.reasoning ?? '') + part['text'];
      else out.text = (out.text ?? '') + part['text'];
    }
    const call = asRecord(part['functionCall']);
    if (call['name']) out.tool = { index: i, name: str(call['name']), args: JSON.stringify(call['args'] ?? {}) };
  });
  if (!out.text && !out.tool && cand['finishReason']) out.label = `finish: ${String(cand['finishReason'])}`;
  return out;
}

const GOOGLE_STATUS: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED' };

export const protocol: ProtocolModule = {
  id: 'gemini',
  provider: 'gemini',
  label: 'Google Gemini (Gemini API and Vertex AI)',
  recognise,
  answers: hasCandidates,
  framing: 'sse',
  reconstruct,
  summarize,
  roles,
  piece,
  statusBody: (status) => JSON.stringify({ error: { code: status, message: statusWords(status)[1], status: GOOGLE_STATUS[status] ?? 'UNKNOWN' } }),
  errorEvent: (ctx) => sseEventBytes(ctx, { error: { code: 503, message: 'The model is overloaded. Please try again later. (TraceForge fault)', status: 'UNAVAILABLE' } }),
  legacy: {
    names: /gemini|google|vertex/,
    path: (model, stream) => `/v1beta/models/${model ?? 'gemini'}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
    textEvent: (text, model) => ({ candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0 }], modelVersion: model ?? 'unknown' }),
    eol: '\r\n',
  },
  route: { name: 'gemini', label: 'Gemini', origin: 'https://generativelanguage.googleapis.com', fallbackPath: /^\/upload\/v1(?:alpha|beta)?\//, env: { GOOGLE_GEMINI_BASE_URL: '' } },
  hosts: ['generativelanguage.googleapis.com'],
};
