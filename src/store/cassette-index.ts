import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { TraceForgeError } from '../errors.js';
import { parseInteraction, type DocumentPlace } from '../cassette/codec.js';
import { interactionKey, type InteractionKey } from '../cassette/match.js';
import { readMatchKey } from '../cassette/match-key-read.js';
import type { Provider, Trace } from '../trace/types.js';
import { shortText } from '../util/one-line.js';
import { resolveLimits, type CassetteLimits } from '../cassette/bounds.js';
import { cacheDir, cacheFile, claimOrWait, hashFile, MAX_CACHED_BYTES, readCachedIndex, writeCachedIndex } from './cassette-cache.js';
import { readCassette, readInteractionAt } from './cassette-read.js';

/** What is kept of one interaction: what matching needs, its provider, and where its document is. */
export interface IndexedInteraction extends InteractionKey {
  provider: Provider;
  /** Where its document is in the file (version 2). */
  place?: DocumentPlace;
  /** The interaction itself, for a version 1 cassette, which cannot be read one interaction at a time. */
  trace?: Trace;
}

/** A cassette indexed for replay: its interactions are read from the file when they are served. */
export interface CassetteIndex {
  readonly path: string;
  readonly version: 1 | 2;
  readonly interactions: readonly IndexedInteraction[];
  /** What was skipped while indexing (a last interaction cut off mid-write), one line each. */
  readonly warnings: readonly string[];
  /** Read and parse interaction `index` (kept for a while: a burst of requests for one recording parses it once). */
  load(index: number): Promise<Trace>;
  /** The same, synchronously (for `unused()`, which lists what was never served). */
  loadSync(index: number): Trace;
}

/**
 * Cassettes up to this size are parsed whole when indexed (their parsed form takes a few times this in
 * memory). Above it only match keys are read, so opening 10,000 calls costs what matching needs, and each
 * interaction is parsed when served (the fast reader takes tens of microseconds for a small call).
 */
const EAGER_BYTES = 4 * 1024 * 1024;

/** Parsed interactions kept in memory, by total document size: a few big streams, many small ones. */
const CACHE_BYTES = 64 * 1024 * 1024;
const CACHE_ENTRIES = 64;

/** What reading a cassette for an index gives, from the file or from the parse cache. */
export interface IndexRead {
  version: 1 | 2;
  warnings: string[];
  interactions: IndexedInteraction[];
}

/**
 * Read a cassette's index in one streaming pass: per interaction its match key and the byte range of its
 * document, and with `eager` the interaction itself, parsed and validated. The same bytes opened again (by
 * another test worker, or the next run) are read from the parse cache (store/cassette-cache.ts) instead.
 */
export async function readIndex(path: string, eager: boolean, limits?: Partial<CassetteLimits>): Promise<IndexRead> {
  const resolved = resolveLimits(process.env, limits);
  const info = await stat(path).catch(() => undefined);
  // Only a regular file is hashed (a FIFO would block); anything else is reported by readCassette.
  const dir = info?.isFile() && info.size <= MAX_CACHED_BYTES ? cacheDir(process.env) : undefined;
  const file = dir ? await hashFile(path).then((h) => cacheFile(dir!, h, eager, resolved), () => undefined) : undefined;
  let cached = file ? await readCachedIndex(file, eager) : undefined;
  let release: (() => Promise<void>) | undefined;
  // Not kept yet: read it here, unless another process is reading the same bytes now (then wait for what it keeps).
  if (file && !cached) ({ cached, release } = await claimOrWait(file, eager));
  if (cached) {
    const interactions = cached.entries.map((e): IndexedInteraction => {
      if (e.trace) return { ...interactionKey(e.trace), provider: e.trace.metadata.provider, trace: e.trace, ...(e.place ? { place: e.place } : {}) };
      return { id: e.id!, method: e.method!, url: e.url!, body: e.body ?? null, ...(e.synthesized ? { synthesized: true } : {}), provider: e.provider!, place: e.place! };
    });
    return { version: cached.version, warnings: [], interactions };
  }
  try {
    return await readAndKeep(path, eager, limits, dir, resolved);
  } finally {
    await release?.();
  }
}

async function readAndKeep(path: string, eager: boolean, limits: Partial<CassetteLimits> | undefined, dir: string | undefined, resolved: CassetteLimits): Promise<IndexRead> {
  const interactions: IndexedInteraction[] = [];
  const hash = createHash('sha256');
  const { version, warnings } = await readCassette(
    path,
    {
      trace: (t) => interactions.push({ ...interactionKey(t), provider: t.metadata.provider, trace: t }),
      document: (text, place, i) => {
        if (eager) {
          const t = parseInteraction(text, path, place.line, i);
          interactions.push({ ...interactionKey(t), provider: t.metadata.provider, trace: t, place });
          return;
        }
        const { key, provider } = readMatchKey(text, path, place.line, i);
        interactions.push({ ...key, provider, place });
      },
    },
    limits,
    dir ? (chunk) => void hash.update(chunk) : undefined,
  );
  // Warnings name the file: a cassette that has any is read again each time (they are rare: a torn or broken interaction).
  if (dir && warnings.length === 0) {
    // Kept under the hash of the bytes just parsed, whatever happened to the file since; the key is recomputed from a whole trace.
    const entries = interactions.map(({ trace, place, provider, ...key }) => (trace ? { trace, ...(place ? { place } : {}) } : { ...key, provider, place }));
    await writeCachedIndex(cacheFile(dir, hash.digest('hex'), eager, resolved), { version, entries });
  }
  return { version, warnings, interactions };
}

/**
 * Index a cassette for replay: per interaction, its match key and where its document is. Memory is the
 * index (request bodies, not responses) plus one document at a time; a cassette that fits in memory
 * comfortably is parsed whole.
 */
export async function indexCassette(path: string, options: { eagerBytes?: number } = {}): Promise<CassetteIndex> {
  // A cassette that fits in memory comfortably is parsed whole now: parsing an interaction when it is
  // first matched delayed that replay's first chunk by the parse (80 ms for the demo's 57-chunk stream),
  // and every interaction is checked before the first request instead of when it is served.
  const eager = (await stat(path).then((s) => s.size).catch(() => Infinity)) <= (options.eagerBytes ?? EAGER_BYTES);
  const { version, warnings, interactions } = await readIndex(path, eager);
  const cache = new Map<number, Promise<Trace>>();
  let cachedBytes = 0;
  const sizeOf = (i: number) => interactions[i]!.place?.length ?? 0;

  const check = (i: number, t: Trace): Trace => {
    const want = interactions[i]!;
    const got = interactionKey(t);
    if (got.id !== want.id || got.method !== want.method || got.url !== want.url || JSON.stringify(got.body) !== JSON.stringify(want.body)) {
      throw new TraceForgeError(
        'E_CASSETTE_INVALID',
        `${shortText(path)}:${want.place?.line ?? 1}: interaction ${i} is now ${shortText(t.id, 40)}, not ${shortText(want.id, 40)} as when the replay started: the cassette was rewritten while it was served; restart the replay`,
      );
    }
    return t;
  };
  const remember = (i: number, p: Promise<Trace>) => {
    cache.set(i, p);
    cachedBytes += sizeOf(i);
    p.catch(() => forget(i));
    for (const oldest of cache.keys()) {
      if ((cachedBytes <= CACHE_BYTES && cache.size <= CACHE_ENTRIES) || oldest === i) break;
      forget(oldest);
    }
  };
  const forget = (i: number) => {
    if (cache.delete(i)) cachedBytes -= sizeOf(i);
  };

  return {
    path,
    version,
    interactions,
    warnings,
    load(i) {
      const entry = interactions[i]!;
      if (entry.trace) return Promise.resolve(entry.trace);
      const hit = cache.get(i);
      if (hit) {
        // Most recently used goes last.
        cache.delete(i);
        cache.set(i, hit);
        return hit;
      }
      const p = readInteractionAt(path, entry.place!, i).then((t) => check(i, t));
      remember(i, p);
      return p;
    },
    loadSync(i) {
      const entry = interactions[i]!;
      if (entry.trace) return entry.trace;
      const { offset, length, line } = entry.place!;
      const fd = openSync(path, 'r');
      try {
        const buf = Buffer.alloc(length);
        let got = 0;
        while (got < length) {
          const n = readSync(fd, buf, got, length - got, offset + got);
          if (n === 0) break;
          got += n;
        }
        return check(i, parseInteraction(buf.subarray(0, got).toString('utf8'), path, line, i));
      } finally {
        closeSync(fd);
      }
    },
  };
}
