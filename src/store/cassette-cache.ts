import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CassetteLimits } from '../cassette/bounds.js';
import type { DocumentPlace } from '../cassette/codec.js';
import { findTraceProblems } from '../trace/validate.js';
import type { Provider, Trace } from '../trace/types.js';
import { jsonExact } from '../cassette/emit.js';
import { tempPathFor, writeNewFile } from '../util/atomic-write.js';
import { realDateNow, realSleep } from '../util/real-timers.js';

/**
 * What indexing a cassette found, kept between processes: every test worker and every run that opens
 * the same bytes reads one JSON file (JSON.parse is native, and as fast in a fresh thread as in a warm
 * one) instead of scanning and parsing the YAML again. Keyed by the SHA-256 of the file's bytes, the
 * limits in force and this format, in the user's cache directory, never beside the cassette: a changed
 * file has another hash and is read again; a cache file that does not parse or has the wrong shape is
 * ignored. `TRACEFORGE_CACHE_DIR` moves it; `TRACEFORGE_CACHE_DIR=off` turns it off.
 */

/** Cassettes above this are not cached: their index would be a JSON file of that order, and they are read in bounded memory anyway. */
export const MAX_CACHED_BYTES = 64 * 1024 * 1024;

/** Cache files kept; past this, the least recently used half is removed when one is written. */
const MAX_FILES = 256;

/** Bumped whenever what a cassette reads as could change (the readers, validation, the index's shape). */
const FORMAT = 2;

/** One indexed interaction as cached: the whole trace (a cassette parsed whole) or its match key and place. */
export interface CachedEntry {
  trace?: Trace;
  place?: DocumentPlace;
  id?: string;
  method?: string;
  url?: string;
  body?: unknown;
  synthesized?: boolean;
  provider?: Provider;
}

/** Only a cassette read without warnings is cached: a warning names the file, and the same bytes may be at another path. */
export interface CachedIndex {
  version: 1 | 2;
  entries: CachedEntry[];
}

/** Where the cache lives, or undefined when it is off. `env` is passed in, as everywhere in the store. */
export function cacheDir(env: Record<string, string | undefined>): string | undefined {
  const given = env.TRACEFORGE_CACHE_DIR;
  if (given === 'off' || given === '0') return undefined;
  if (given) return given;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'traceforge', 'cassettes');
}

/** The SHA-256 of a file's bytes, read in chunks (native: about 1 GB/s). */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The cache file for these bytes read this way. */
export function cacheFile(dir: string, contentHash: string, eager: boolean, limits: CassetteLimits): string {
  const how = createHash('sha256').update(JSON.stringify([FORMAT, eager, limits])).digest('hex').slice(0, 16);
  return join(dir, `${contentHash}-${how}.json`);
}

const isPlace = (p: unknown): p is DocumentPlace =>
  typeof p === 'object' && p !== null && [(p as DocumentPlace).offset, (p as DocumentPlace).length, (p as DocumentPlace).line].every((n) => Number.isSafeInteger(n) && n >= 0);

/** A cached index, or undefined when there is none or it is not one (corrupt, truncated, edited, another format). */
export async function readCachedIndex(file: string, eager: boolean): Promise<CachedIndex | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
  const v = value as Partial<CachedIndex> & { format?: unknown };
  if (v?.format !== FORMAT || (v.version !== 1 && v.version !== 2) || !Array.isArray(v.entries)) return undefined;
  for (const e of v.entries as CachedEntry[]) {
    if (typeof e !== 'object' || e === null) return undefined;
    if (e.place !== undefined && !isPlace(e.place)) return undefined;
    if (eager || e.trace !== undefined) {
      if (findTraceProblems(e.trace).length > 0) return undefined;
    } else if (typeof e.id !== 'string' || typeof e.method !== 'string' || typeof e.url !== 'string' || typeof e.provider !== 'string' || e.place === undefined) return undefined;
  }
  // Used now: the last to be removed when the cache is pruned.
  const now = new Date();
  void utimes(file, now, now).catch(() => undefined);
  return { version: v.version, entries: v.entries as CachedEntry[] };
}

/** Remove the least recently used half once the cache holds more than MAX_FILES (property tests and re-recordings add one each). */
async function prune(dir: string): Promise<void> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json'));
  if (names.length <= MAX_FILES) return;
  const used = await Promise.all(names.map(async (n) => [n, (await stat(join(dir, n)).catch(() => undefined))?.mtimeMs ?? 0] as const));
  used.sort((a, b) => a[1] - b[1]);
  await Promise.all(used.slice(0, names.length - MAX_FILES / 2).map(([n]) => rm(join(dir, n), { force: true })));
}

/**
 * Keep an index for the next opening of the same bytes. Best effort: an index JSON cannot hold exactly
 * (a -0, NaN or infinity in a recorded body) is not kept, and a cache that cannot be written is no error.
 * Written to a temp file and renamed into place, without fsync: a cache file cut short by a crash is
 * ignored like any other corrupt one.
 */
export async function writeCachedIndex(file: string, index: CachedIndex): Promise<void> {
  const value = { format: FORMAT, ...index };
  if (!jsonExact(value)) return;
  const tmp = tempPathFor(file);
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeNewFile(tmp, JSON.stringify(value));
    await rename(tmp, file);
    await prune(dirname(file));
  } catch {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}

/** How long a reader waits for another process reading the same bytes, and when that process's claim is too old to believe. */
const PEER_WAIT_MS = 5000;
const STALE_CLAIM_MS = 30_000;

/**
 * Claim the reading of these bytes, or wait for the process that already has: test workers opening one
 * cassette at the same moment then parse it once, and the others read what it keeps. Returns that cache,
 * or a release for this process's claim, or neither (no claim could be made, or the wait ran out): read it.
 */
export async function claimOrWait(file: string, eager: boolean): Promise<{ cached?: CachedIndex; release?: () => Promise<void> }> {
  const claim = `${file}.reading`;
  const t0 = realDateNow();
  for (;;) {
    try {
      await mkdir(dirname(file), { recursive: true });
      await writeNewFile(claim, String(process.pid));
      return { release: () => rm(claim, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return {};
    }
    for (;;) {
      const cached = await readCachedIndex(file, eager);
      if (cached) return { cached };
      const age = await stat(claim).then((s) => realDateNow() - s.mtimeMs, () => undefined);
      // Released with nothing kept (a cassette with warnings, or its reader failed): claim it now.
      if (age === undefined) break;
      if (age > STALE_CLAIM_MS) {
        await rm(claim, { force: true });
        break;
      }
      if (realDateNow() - t0 > PEER_WAIT_MS) return {};
      await realSleep(10);
    }
  }
}
