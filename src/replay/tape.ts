import { createKeyMatcher, type IncomingRequest, type MatchOptions, type MissExplanation } from '../cassette/match.js';
import { applyFaults, faultsFor, statusErrorBody, type Fault } from './faults.js';
import { interactionSource, type CassetteInput } from './interaction-source.js';
import { planPlayback, type Playback } from './plan.js';
import type { Trace } from '../trace/types.js';
import { createMcpReplay } from '../mcp/replay-session.js';
import { parseRequestBody } from '../cassette/match.js';

/**
 * What a recorded cassette answers to one request, whoever delivers it: the replay server writes it to
 * a socket on the wall clock, the in-process virtual clock hands it to the app's HTTP client on the
 * tape's own timeline. Matching, status faults, misses and stream faults are decided here, once.
 */
export type TapeAnswer =
  /** A status fault: answered instead of the recording, at once. */
  | { kind: 'status'; status: number; headers: Record<string, string>; body: string }
  /** Nothing matched; `miss` says what came closest. */
  | { kind: 'miss'; miss: MissExplanation }
  /** The recording, with this request's faults applied. `loaded` is false when the interaction was read from the file just now. */
  | { kind: 'play'; plan: Playback; trace: Trace; index: number; synthesized: boolean; loadedNow: boolean };

export interface ServedInteraction {
  index: number;
  id: string;
  method: string;
  url: string;
  /** The response replays framing synthesised from parsed chunks, not bytes a provider sent. */
  synthesized: boolean;
}

export interface TapeOptions {
  cassette: CassetteInput;
  match?: MatchOptions;
  faults: readonly Fault[];
  onServe?: (served: ServedInteraction) => void;
  /**
   * Keep each interaction once it was read from the file, instead of reading it again when it is served
   * again. The replay server does not (its memory stays bounded by what is playing); an in-process
   * replay does, since a test file replays the same few calls many times.
   */
  keepLoaded?: boolean;
}

export interface Tape {
  /** Answer the n-th request (from 1; faults with `@N` count these). */
  answer(request: IncomingRequest, number: number): Promise<TapeAnswer>;
  /** Indices of the interactions served, in order. */
  readonly served: number[];
  /** Interactions never served. */
  unused(): Trace[];
  readonly warnings: readonly string[];
}

// Decoding every chunk's bytes once per interaction, not once per request, keeps a burst of concurrent requests cheap.
const plans = new WeakMap<Trace, Playback>();
export function planOf(trace: Trace): Playback {
  let plan = plans.get(trace);
  if (!plan) plans.set(trace, (plan = planPlayback(trace)));
  return plan;
}

export async function openTape(options: TapeOptions): Promise<Tape> {
  const { faults } = options;
  const source = await interactionSource(options.cassette);
  // MCP sessions (src/mcp): minted session ids, the client's JSON-RPC ids, held streams.
  const mcp = createMcpReplay(source.keys);
  const matcher = createKeyMatcher(mcp ? mcp.matchKeys(source.keys) : source.keys, options.match);
  // Status faults answer instead of the recording: a probe with its own state checks that the request
  // would match, without using up a recording the retry should get.
  const probe = faults.some((f) => f.kind === 'status') ? createKeyMatcher(source.keys, { ...options.match, repeat: 'last' }) : undefined;
  const served: number[] = [];
  const loadedTraces = options.keepLoaded ? new Map<number, Trace | Promise<Trace>>() : undefined;
  return {
    served,
    warnings: source.warnings,
    unused: () => matcher.unused().map((i) => source.loadSync(i)),
    async answer(incoming, number) {
      const mcpRequest = mcp ? { ...incoming, body: parseRequestBody(incoming.body) } : undefined;
      const refused = mcpRequest ? mcp!.admit(mcpRequest) : undefined;
      if (refused) return { kind: 'status', ...refused };
      const active = faultsFor(faults, number);
      const status = active.find((f): f is Extract<Fault, { kind: 'status' }> => f.kind === 'status');
      const probed = status && probe ? probe.match(incoming) : undefined;
      if (status && probed && !('miss' in probed)) {
        const body = statusErrorBody(source.provider(probed.index), status.status);
        return {
          kind: 'status',
          status: status.status,
          headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...(status.retryAfter !== undefined ? { 'retry-after': status.retryAfter } : {}) },
          body,
        };
      }
      const result = matcher.match(mcp ? mcp.matchRequest(incoming) : incoming);
      if ('miss' in result) return { kind: 'miss', miss: result.miss };
      served.push(result.index);
      const key = source.keys[result.index]!;
      const synthesized = key.synthesized === true;
      options.onServe?.({ index: result.index, id: key.id, method: key.method, url: key.url, synthesized });
      const kept = loadedTraces?.get(result.index);
      const loaded = kept ?? source.load(result.index);
      if (loadedTraces && !kept) loadedTraces.set(result.index, loaded);
      const trace = loaded instanceof Promise ? await loaded : loaded;
      const plan = mcpRequest ? mcp!.adapt(mcpRequest, key, trace, planOf(trace)) : planOf(trace);
      return { kind: 'play', plan: applyFaults(plan, trace, active), trace, index: result.index, synthesized, loadedNow: loaded instanceof Promise };
    },
  };
}
