import type { Cassette } from '../cassette/codec.js';
import { interactionKey, type InteractionKey } from '../cassette/match.js';
import { indexCassette, type CassetteIndex } from '../store/cassette-index.js';
import type { Provider, Trace } from '../trace/types.js';

/**
 * Where the replay server gets its interactions: match keys up front, the whole interaction when it is
 * served. A cassette given by path is indexed and read from disk per interaction, so its size does not
 * decide the server's memory; interactions given as objects are served from memory.
 */
export interface InteractionSource {
  readonly keys: readonly InteractionKey[];
  provider(index: number): Provider;
  load(index: number): Trace | Promise<Trace>;
  loadSync(index: number): Trace;
  readonly warnings: readonly string[];
}

export type CassetteInput = string | Cassette | Trace[] | CassetteIndex;

const isIndex = (c: CassetteInput): c is CassetteIndex => typeof c === 'object' && !Array.isArray(c) && typeof (c as CassetteIndex).load === 'function';

function fromIndex(index: CassetteIndex): InteractionSource {
  return {
    keys: index.interactions,
    provider: (i) => index.interactions[i]!.provider,
    load: (i) => index.load(i),
    loadSync: (i) => index.loadSync(i),
    warnings: index.warnings,
  };
}

function fromMemory(traces: readonly Trace[], warnings: readonly string[] = []): InteractionSource {
  return {
    keys: traces.map(interactionKey),
    provider: (i) => traces[i]!.metadata.provider,
    load: (i) => traces[i]!,
    loadSync: (i) => traces[i]!,
    warnings,
  };
}

export async function interactionSource(cassette: CassetteInput): Promise<InteractionSource> {
  if (typeof cassette === 'string') return fromIndex(await indexCassette(cassette));
  if (Array.isArray(cassette)) return fromMemory(cassette);
  if (isIndex(cassette)) return fromIndex(cassette);
  return fromMemory(cassette.interactions, cassette.warnings);
}

/**
 * The interactions of `cassette` that are already parsed in memory (undefined where one is read from the
 * file when served), as the same objects the replay will serve: what the replay server plans before it
 * says it is listening. A path is not indexed here; pass its index.
 */
function tracesInMemory(cassette: CassetteInput): Array<Trace | undefined> {
  if (typeof cassette === 'string') return [];
  if (Array.isArray(cassette)) return cassette;
  if (isIndex(cassette)) return cassette.interactions.map((i) => i.trace);
  return cassette.interactions;
}

/**
 * What the warm-up replays before a server says it is listening: the interactions in memory, or, for an
 * index that holds none (a cassette over 4 MiB), its smallest interaction read now, so the first request to
 * such a cassette finds the replay path as warm as the hundredth does.
 */
export async function warmUpTraces(cassette: CassetteInput): Promise<Array<Trace | undefined>> {
  const traces = tracesInMemory(cassette);
  if (!isIndex(cassette) || cassette.interactions.length === 0 || traces.some((t) => t !== undefined)) return traces;
  let smallest = 0;
  cassette.interactions.forEach((e, i) => {
    if ((e.place?.length ?? Infinity) < (cassette.interactions[smallest]!.place?.length ?? Infinity)) smallest = i;
  });
  try {
    // Read the way a request reads it (the file, the reader, the check), so that path is warm too.
    return [await cassette.load(smallest)];
  } catch {
    // It fails when served, with its own message.
    return [];
  }
}
