/**
 * The one list of provider protocols. Adding a protocol is adding its module (see protocol.ts) here;
 * everything that needs provider knowledge (detection, rebuild, sweep roles, faults, `trace view`
 * labels, legacy traces, routing, interception hosts, redaction hints) asks this file. Pure.
 */
import type { Framing } from '../../stream/frame.js';
import type { Provider, TraceChunk } from '../types.js';
import type { ResponseSummary } from './common.js';
import * as anthropic from './anthropic.js';
import * as bedrock from './bedrock.js';
import * as cohere from './cohere.js';
import * as gemini from './gemini.js';
import * as generic from './generic.js';
import * as ollama from './ollama.js';
import * as openaiChat from './openai-chat.js';
import * as openaiCompletions from './openai-completions.js';
import * as openaiResponses from './openai-responses.js';
import type { CallEvidence, ChunkPiece, EmbeddedPayload, ErrorEventContext, ProtocolModule, RouteHints } from './protocol.js';

export type { CallEvidence, ChunkPiece, ChunkRole, ProtocolModule, RouteHints, RouteName } from './protocol.js';

/** Traffic no module claims. Last: its `piece` reads anything. */
export const FALLBACK: ProtocolModule = generic.protocol;

/**
 * In order: where two modules make an equally strong claim, the first wins (api.openai.com is chat
 * before Responses), and `trace view` asks them in this order which one reads an event.
 */
export const PROTOCOLS: readonly ProtocolModule[] = [
  openaiChat.protocol,
  openaiResponses.protocol,
  openaiCompletions.protocol,
  anthropic.protocol,
  gemini.protocol,
  ollama.protocol,
  bedrock.protocol,
  cohere.protocol,
];

/** The module with the strongest claim on a call (ties: the earlier one), or FALLBACK when none claims it. */
export function recognise(e: CallEvidence, list: readonly ProtocolModule[] = PROTOCOLS): ProtocolModule {
  let best = FALLBACK;
  let score = 0;
  for (const m of list) {
    const s = m.recognise(e);
    if (s > score) [best, score] = [m, s];
  }
  return best;
}

/** The first module that records this provider name (the rebuild a trace's `metadata.provider` names). */
export function protocolOf(provider: Provider | string): ProtocolModule {
  return PROTOCOLS.find((m) => m.provider === provider) ?? FALLBACK;
}

/**
 * A provider-neutral summary. An unknown provider's response is read by its shape, since
 * OpenAI-compatible servers often live behind custom paths.
 */
export function summarize(provider: Provider | string, response: unknown): ResponseSummary {
  const m = protocolOf(provider);
  if (m !== FALLBACK || typeof response === 'string') return m.summarize(response);
  return (PROTOCOLS.find((p) => p.answers?.(response)) ?? FALLBACK).summarize(response);
}

/** What one event adds for `trace view`, read by shape: a trace of an unknown provider still previews. */
export function chunkPiece(chunk: TraceChunk): ChunkPiece {
  for (const m of PROTOCOLS) {
    const p = m.piece(chunk);
    if (p) return p;
  }
  return FALLBACK.piece(chunk) ?? {};
}

/** The error body an error status gets for this provider. */
export function statusBody(provider: Provider | string, status: number): string {
  return (protocolOf(provider).statusBody ?? FALLBACK.statusBody!)(status);
}

/**
 * The provider's own mid-stream error event. When the recording's framing is not the module's own
 * (an unknown provider on NDJSON), the module that owns that framing writes it; a body that was not
 * framed gets an SSE event.
 */
export function errorEvent(provider: Provider | string, framing: Framing, ctx: ErrorEventContext): Uint8Array {
  const own = protocolOf(provider);
  const target = framing === 'raw' ? 'sse' : framing;
  const m = own.framing === target && own.errorEvent ? own : ([FALLBACK, ...PROTOCOLS].find((p) => p.framing === target && p.errorEvent) ?? FALLBACK);
  return m.errorEvent!(ctx);
}

/** The protocol of one stream payload on its own (a legacy trace's chunk), by its shape. */
export function protocolOfPayload(payload: unknown): ProtocolModule | undefined {
  const m = recognise({ path: '', chunks: [{ data: payload }] });
  return m === FALLBACK ? undefined : m;
}

/** The module a legacy trace's provider label names (`claude`, `azure`, `gemini`...). */
export function protocolNamed(label: unknown): ProtocolModule | undefined {
  return typeof label === 'string' ? PROTOCOLS.find((m) => m.legacy?.names.test(label.toLowerCase())) : undefined;
}

/** The module whose events bare text pieces become when their own protocol cannot make them up. */
export function textDefault(): ProtocolModule {
  return PROTOCOLS.find((m) => m.legacy?.textDefault) ?? FALLBACK;
}

/** Each default upstream once (protocols that share a host share one), in registry order. */
export const ROUTES: readonly RouteHints[] = PROTOCOLS.flatMap((m) => (m.route ? [m.route] : [])).filter((r, i, all) => all.findIndex((x) => x.name === r.name) === i);

/** Which recorded chunks the provider's SDK hands to the app (every chunk with data when the module does not say). */
export function sdkYields(provider: Provider | string, chunks: readonly TraceChunk[]): boolean[] {
  return protocolOf(provider).sdkYields?.(chunks) ?? chunks.map((c) => c.data !== undefined);
}

/** The hosts served from a cassette in tests: every module's API hosts. */
export const INTERCEPT_HOSTS: readonly string[] = [...new Set(PROTOCOLS.flatMap((m) => m.hosts ?? []))];

/** Payloads inside payloads, whichever module declared them (redaction opens them to look inside). */
export const EMBEDDED: readonly EmbeddedPayload[] = PROTOCOLS.flatMap((m) => (m.embedded ? [m.embedded] : []));

/** The environment an SDK reads its base URL from, pointed at `url` (`OPENAI_BASE_URL=<url>/v1`...). */
export function baseUrlEnv(url: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of ROUTES) for (const [name, suffix] of Object.entries(r.env ?? {})) out[name] = `${url}${suffix}`;
  return out;
}
