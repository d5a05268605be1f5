import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { TraceForgeError } from '../errors.js';
import { stringifyCassette, type Cassette } from '../cassette/codec.js';
import type { CassetteLimits } from '../cassette/bounds.js';
import { spilledOf } from '../trace/spilled.js';
import type { Trace } from '../trace/types.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { probeWritable } from '../util/writable-dir.js';
import { shortText } from '../util/one-line.js';
import { appendLocked } from './cassette-append.js';
import { cassetteFsError, cassetteIo, checkCassettePath } from './cassette-fs.js';
import { readIndex } from './cassette-index.js';
import { LOCK_SUFFIX, withFileLock } from './file-lock.js';
import { readRunMarker, writeRunMarker } from './run-marker.js';

export { cassetteFsError, checkCassettePath } from './cassette-fs.js';
export { MAX_INTERACTION_BYTES, MAX_V1_CASSETTE_BYTES } from '../cassette/codec.js';

/**
 * Read and validate a cassette file (version 1 or 2), every interaction in memory; errors carry
 * `file:line`. The file is read in chunks and parsed a document at a time. A last interaction cut off
 * mid-write is left out and reported in `warnings` (one line each, for the caller to print).
 * An interaction with a problem of its own is left out and reported in `warnings` too. A document over a
 * limit in `options.limits` (or `TRACEFORGE_MAX_*`, see docs/limits.md) refuses the whole cassette with
 * `E_CASSETTE_LIMIT` while it is read, before it is parsed.
 * To serve a big cassette without holding it, use indexCassette (store/cassette-index.ts). The same bytes
 * loaded again are read from the parse cache (see docs/limits.md: TRACEFORGE_CACHE_DIR).
 *
 * @example
 * const { interactions, warnings } = await loadCassette('fixtures/chat.yaml');
 * const long = await loadCassette('fixtures/long.yaml', { limits: { maxChunks: 1_000_000 } });
 */
export async function loadCassette(path: string, options: { limits?: Partial<CassetteLimits> } = {}): Promise<Cassette> {
  const { version, warnings, interactions } = await readIndex(path, true, options.limits);
  return { version, interactions: interactions.map((i) => i.trace!), ...(warnings.length > 0 ? { warnings } : {}) };
}

/** True when a file is at `path`, false when nothing is; a directory or unreadable path is an error. */
export async function cassetteExists(path: string): Promise<boolean> {
  checkCassettePath(path);
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw cassetteFsError(path, e, 'read');
  }
}

/** Why an interaction cannot go in a cassette, or undefined: a body spilled to disk while recording is too big for a cassette document. */
export function cassetteRefusal(path: string, t: Trace): TraceForgeError | undefined {
  const spilled = spilledOf(t);
  if (!spilled) return undefined;
  return new TraceForgeError(
    'E_CASSETTE_INVALID',
    `${shortText(path)}: interaction ${t.id} (${t.http.method} ${t.endpoint}) has a ${spilled.bytes}-byte body, too big for a YAML cassette, whose documents are parsed in memory whole; it is kept in its trace file instead (raise TRACEFORGE_SPILL_BYTES to keep bodies this size in memory)`,
  );
}

function refuseSpilled(path: string, traces: readonly Trace[]): void {
  for (const t of traces) {
    const refused = cassetteRefusal(path, t);
    if (refused) throw refused;
  }
}

/**
 * Atomically replace a cassette with these interactions, in the current format (version 2).
 * @example await writeCassette('fixtures/chat.yaml', { version: 2, interactions: [trace] });
 */
export async function writeCassette(path: string, cassette: Cassette): Promise<void> {
  checkCassettePath(path);
  refuseSpilled(path, cassette.interactions);
  await cassetteIo(path, 'write', () => withFileLock(path, () => writeFileAtomic(path, stringifyCassette(cassette))));
}

/**
 * Append interactions under the cassette lock, at a cost that does not grow with the cassette (see
 * appendLocked). Concurrent appenders (other processes or workers) take turns on the lock, so none of
 * their interactions are lost. A version 1 cassette is migrated to version 2 on its first append.
 *
 * @example
 * await startRecorder({ upstream, onTrace: (trace) => appendToCassette('fixtures/chat.yaml', [trace]) });
 */
export async function appendToCassette(path: string, traces: Trace[]): Promise<void> {
  checkCassettePath(path);
  if (traces.length === 0) return;
  refuseSpilled(path, traces);
  await cassetteIo(path, 'write', () => withFileLock(path, () => appendLocked(path, traces)));
}

/**
 * Record mode `all`'s first write in a session. A run replaces the cassette once: the first session of a
 * run to write replaces it; a session of the same run that has not written yet (another test file, another
 * worker) appends. A session already in the run's list is a new run reusing the same runner process (a
 * rerun in watch mode), so it replaces. Decided under the cassette's lock; see store/run-marker.ts.
 */
export async function writeForRun(path: string, traces: Trace[], session: { run: string; by: string }): Promise<void> {
  checkCassettePath(path);
  refuseSpilled(path, traces);
  await cassetteIo(path, 'write', () =>
    withFileLock(path, async () => {
      const marker = await readRunMarker(path);
      const joining = marker !== undefined && marker.run === session.run && !marker.by.includes(session.by);
      if (joining) await appendLocked(path, traces);
      else await writeFileAtomic(path, stringifyCassette({ version: 2, interactions: traces }));
      await writeRunMarker(path, { run: session.run, by: joining ? [...marker.by, session.by] : [session.by] });
    }),
  );
}

/**
 * Put each trace of `at` in place of the interaction at that index, and append `appended`, in one atomic
 * rewrite under the cassette lock (what `record --cassette --mode all` does when it re-records a call).
 */
export async function replaceInCassette(path: string, at: ReadonlyMap<number, Trace>, appended: readonly Trace[]): Promise<void> {
  checkCassettePath(path);
  refuseSpilled(path, [...at.values(), ...appended]);
  await cassetteIo(path, 'write', () =>
    withFileLock(path, async () => {
      const { interactions } = await loadCassette(path);
      const next = interactions.map((t, i) => at.get(i) ?? t);
      await writeFileAtomic(path, stringifyCassette({ version: 2, interactions: [...next, ...appended] }));
    }),
  );
}

/**
 * Before a session records: fail now, with the path and the reason, when the cassette could not be written
 * (a directory that cannot be made or written, a name too long for its lock, a full disk), rather than
 * after the calls were made. Leaves nothing behind.
 */
export async function checkCassetteWritable(path: string): Promise<void> {
  checkCassettePath(path);
  await cassetteIo(path, 'write', () => probeWritable(dirname(path), Buffer.byteLength(basename(path)) + LOCK_SUFFIX.length));
}
