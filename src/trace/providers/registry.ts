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

/** Every question the rest of TraceForge asks about providers, answered from one list of modules. */
export interface Registry {
  readonly protocols: readonly ProtocolModule[];
  /** The module with the strongest claim on a call (ties: the earlier one), or FALLBACK when none claims it. */
  recognise(e: CallEvidence): ProtocolModule;
  /** The first module that records this provider name (the rebuild a trace's `metadata.provider` names). */
  protocolOf(provider: Provider | string): ProtocolModule;
  /** A provider-neutral summary; an unknown provider's response is read by its shape (compatible servers live behind custom paths). */
  summarize(provider: Provider | string, response: unknown): ResponseSummary;
  /** What one event adds for `trace view`, read by shape: a trace of an unknown provider still previews. */
  chunkPiece(chunk: TraceChunk): ChunkPiece;
  /** The error body an error status gets for this provider. */
  statusBody(provider: Provider | string, status: number): string;
  /**
   * The provider's own mid-stream error event. When the recording's framing is not the module's own (an
   * unknown provider on NDJSON), the module that owns that framing writes it; an unframed body gets SSE.
   */
  errorEvent(provider: Provider | string, framing: Framing, ctx: ErrorEventContext): Uint8Array;
  /** Which recorded chunks the provider's SDK hands to the app (every chunk with data when the module does not say). */
  sdkYields(provider: Provider | string, chunks: readonly TraceChunk[]): boolean[];
  /** The protocol of one stream payload on its own (a legacy trace's chunk), by its shape. */
  protocolOfPayload(payload: unknown): ProtocolModule | undefined;
  /** The module a legacy trace's provider label names (`claude`, `azure`, `gemini`...). */
  protocolNamed(label: unknown): ProtocolModule | undefined;
  /** The module whose events bare text pieces become when their own protocol cannot make them up. */
  textDefault(): ProtocolModule;
  /** Each default upstream once (protocols that share a host share one), in list order. */
  readonly routes: readonly RouteHints[];
  /** The hosts served from a cassette in tests: every module's API hosts. */
  readonly interceptHosts: readonly string[];
  /** Payloads inside payloads, whichever module declared them (redaction opens them to look inside). */
  readonly embedded: readonly EmbeddedPayload[];
  /** The environment each SDK reads its base URL from, pointed at `url` (`OPENAI_BASE_URL=<url>/v1`...). */
  baseUrlEnv(url: string): Record<string, string>;
}

/** A registry over `protocols` (in order), with FALLBACK behind them. */
export function createRegistry(protocols: readonly ProtocolModule[]): Registry {
  const protocolOf = (provider: Provider | string) => protocols.find((m) => m.provider === provider) ?? FALLBACK;
  const recognise = (e: CallEvidence) => {
    let best = FALLBACK;
    let score = 0;
    for (const m of protocols) {
      const s = m.recognise(e);
      if (s > score) [best, score] = [m, s];
    }
    return best;
  };
  const routes = protocols.flatMap((m) => (m.route ? [m.route] : [])).filter((r, i, all) => all.findIndex((x) => x.name === r.name) === i);
  return {
    protocols,
    recognise,
    protocolOf,
    summarize(provider, response) {
      const m = protocolOf(provider);
      if (m !== FALLBACK || typeof response === 'string') return m.summarize(response);
      return (protocols.find((p) => p.answers?.(response)) ?? FALLBACK).summarize(response);
    },
    chunkPiece(chunk) {
      for (const m of protocols) {
        const p = m.piece(chunk);
        if (p) return p;
      }
      return FALLBACK.piece(chunk) ?? {};
    },
    statusBody: (provider, status) => (protocolOf(provider).statusBody ?? FALLBACK.statusBody!)(status),
    errorEvent(provider, framing, ctx) {
      const own = protocolOf(provider);
      const target = framing === 'raw' ? 'sse' : framing;
      const m = own.framing === target && own.errorEvent ? own : ([FALLBACK, ...protocols].find((p) => p.framing === target && p.errorEvent) ?? FALLBACK);
      return m.errorEvent!(ctx);
    },
    sdkYields: (provider, chunks) => protocolOf(provider).sdkYields?.(chunks) ?? chunks.map((c) => c.data !== undefined),
    protocolOfPayload(payload) {
      const m = recognise({ path: '', chunks: [{ data: payload }] });
      return m === FALLBACK ? undefined : m;
    },
    protocolNamed: (label) => (typeof label === 'string' ? protocols.find((m) => m.legacy?.names.test(label.toLowerCase())) : undefined),
    textDefault: () => protocols.find((m) => m.legacy?.textDefault) ?? FALLBACK,
    routes,
    interceptHosts: [...new Set(protocols.flatMap((m) => m.hosts ?? []))],
    embedded: protocols.flatMap((m) => (m.embedded ? [m.embedded] : [])),
    baseUrlEnv(url) {
      const out: Record<string, string> = {};
      for (const r of routes) for (const [name, suffix] of Object.entries(r.env ?? {})) out[name] = `${url}${suffix}`;
      return out;
    },
  };
}

/** The registry TraceForge runs on. */
export const REGISTRY: Registry = createRegistry(PROTOCOLS);

export const { recognise, protocolOf, summarize, chunkPiece, statusBody, errorEvent, sdkYields, protocolOfPayload, protocolNamed, textDefault, baseUrlEnv } = REGISTRY;
export const ROUTES: readonly RouteHints[] = REGISTRY.routes;
export const INTERCEPT_HOSTS: readonly string[] = REGISTRY.interceptHosts;
export const EMBEDDED: readonly EmbeddedPayload[] = REGISTRY.embedded;
