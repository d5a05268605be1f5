/**
 * What a provider protocol module exports. One module per wire protocol (OpenAI chat, Responses, legacy
 * completions, Anthropic, Gemini, Ollama, Bedrock, Cohere, and the generic fallback) holds everything
 * TraceForge knows about it; `registry.ts` lists them, and recording, replay, sweep, gen and the TUI
 * ask the registry. Pure: no network, no process.
 */
import type { Framing } from '../../stream/frame.js';
import type { Provider, TraceChunk } from '../types.js';
import type { ProviderInput, ProviderResult, ResponseSummary, StreamChunk } from './common.js';

/** Everything known about a call when deciding its protocol; any part may be missing. */
export interface CallEvidence {
  /** Path without query, e.g. `/v1/chat/completions`. */
  path: string;
  /** Query without `?`. */
  query?: string;
  /** Upstream host (and `:port` when not the default), lower case. */
  host?: string;
  /** Lower-cased request headers. */
  headers?: Record<string, string>;
  /** The response's content-type. */
  contentType?: string;
  /** Parsed JSON request body. */
  request?: unknown;
  /** Stream events (their parsed `data`). */
  chunks?: ReadonlyArray<StreamChunk>;
  /** A non-stream body, parsed. */
  body?: unknown;
}

/**
 * How strongly a piece of evidence names a protocol; the strongest claim wins, the registry's order
 * breaks ties. A path only one provider uses (Bedrock's `/model/.../converse-stream`, Anthropic's
 * Vertex `:streamRawPredict`) beats the body, since Bedrock's InvokeModel carries Anthropic's body;
 * the body's own shape beats a path several servers share; headers and hosts settle what is left.
 */
export const STRENGTH = {
  ownPath: 50,
  body: 40,
  path: 30,
  header: 20,
  host: 15,
  hint: 10,
} as const;

/** What one recorded event is, as far as fault points care. */
export interface ChunkRole {
  content?: boolean;
  /** A tool call starts here (its name). */
  toolStart?: string;
  /** Tool-call argument text arrives here, for this tool. */
  toolArgs?: string;
  /** Which content block the event belongs to (text, a tool call, reasoning...), when the format says. */
  block?: string;
  /** A readable name of the block, e.g. `tool_use "get_weather"`. */
  blockName?: string;
  finish?: boolean;
  usage?: boolean;
  terminator?: boolean;
  error?: boolean;
}

/**
 * What one stream event adds to the message for `trace view`: a text delta, a reasoning delta, a piece
 * of a tool call, or only a lifecycle label (`ping`, `[DONE]`, `finish: stop`).
 */
export interface ChunkPiece {
  text?: string;
  reasoning?: string;
  tool?: { index: number; name?: string; args?: string };
  label?: string;
}

/** Where an injected error event goes: the recording's own event terminator, and the chunk it replaces. */
export interface ErrorEventContext {
  /** `\n\n`, `\r\n\r\n`, `\n` or `\r\n`, as the recording ends its events. */
  terminator: string;
  /** Chunks sent before the error (Responses numbers its events). */
  sequence: number;
}

/** How a trace of the first TraceForge (no raw bytes) is turned back into this protocol's wire events. */
export interface LegacyHints {
  /** Matches the first TraceForge's `provider` label for this protocol (`claude`, `azure`...). */
  names: RegExp;
  /** Bare text pieces of a stream whose protocol is unknown (or cannot be made up) replay as this protocol's. */
  textDefault?: boolean;
  /** The path a call had when the trace does not say. */
  path(model: string | null, stream: boolean): string;
  /** The event payload a bare text piece stands for; without one, text pieces go to the `textDefault` protocol. */
  textEvent?(text: string, model: string | null, id: string): unknown;
  /** Events a client needs around the given payloads (lifecycle events, the terminator). */
  complete?(payloads: readonly unknown[], fromText: boolean, model: string | null, id: string): { before: unknown[]; after: unknown[] };
  /** Line ending of synthesised SSE (Gemini writes CRLF). */
  eol?: string;
}

/**
 * The default upstreams `traceforge record` routes to without `--upstream`, each with its `--<name>` flag
 * (cli/command-table.ts spells the flags; test/providers/registry.test.ts checks they agree).
 */
export type RouteName = 'openai' | 'anthropic' | 'gemini' | 'ollama';

/** The default host a protocol's calls go to, for routing a direct request and for in-process interception. */
export interface RouteHints {
  /** `--<name>` on `traceforge record`, and the key of `overrides`. Protocols that share a host share a name. */
  name: RouteName;
  /** For help text: `Base URL for <label> calls`. */
  label: string;
  /** The provider's API origin. */
  origin: string;
  /** Paths under this host recognisers leave open (`/v1/files`...): a direct request with such a path goes here. */
  fallbackPath?: RegExp;
  /** Environment variables an SDK reads for its base URL, with what follows the recorder's URL (`/v1`). */
  env?: Record<string, string>;
}

/**
 * Redaction hints: a payload carried inside another that the text rules cannot see (Bedrock
 * InvokeModel's base64 `bytes`). `open` gives its text, `close` puts a changed text back.
 */
export interface EmbeddedPayload {
  open(data: unknown): string | undefined;
  close(data: unknown, text: string): unknown;
}

export interface ProtocolModule {
  /** Unique id in the registry. */
  id: string;
  /** What a trace records as `metadata.provider`. */
  provider: Provider;
  /** A readable name for docs and labels. */
  label: string;
  /** How strongly a call looks like this protocol (see STRENGTH); 0 for not at all. */
  recognise(e: CallEvidence): number;
  /** True when a non-stream response (or a stream event) has this protocol's shape; for summaries by shape. */
  answers?(response: unknown): boolean;
  /** How its streams are framed. */
  framing: Exclude<Framing, 'raw'>;
  /** SSE events carry an `event:` field equal to the payload's `type`. */
  namedEvents?: boolean;
  /** Rebuild the non-stream response from a recorded call. */
  reconstruct(input: ProviderInput): ProviderResult;
  /** A provider-neutral view of a response. Never throws. */
  summarize(response: unknown): ResponseSummary;
  /** Sweep and fault roles of each event. */
  roles(chunks: readonly TraceChunk[]): ChunkRole[];
  /** `trace view`'s reading of one event; undefined when the event is not this protocol's. */
  piece(chunk: TraceChunk): ChunkPiece | undefined;
  /** The error body this provider sends with an error status, so its SDK raises its own error type. */
  statusBody?(status: number): string;
  /** Its mid-stream error event, as its SDK expects to see it. */
  errorEvent?(ctx: ErrorEventContext): Uint8Array;
  /** Which recorded chunks its official SDK hands to the app; undefined: every chunk with data. */
  sdkYields?(chunks: readonly TraceChunk[]): boolean[];
  legacy?: LegacyHints;
  route?: RouteHints;
  /** API hosts served from a cassette during a test (`HOST`, `HOST:PORT`, `*` for one label). */
  hosts?: readonly string[];
  embedded?: EmbeddedPayload;
}
