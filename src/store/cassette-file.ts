import { readFile } from 'node:fs/promises';
import { TraceForgeError } from '../errors.js';
import { emptyCassette, parseCassette, stringifyCassette, type Cassette } from '../cassette/codec.js';
import { spilledOf } from '../trace/spilled.js';
import type { Trace } from '../trace/types.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { withFileLock } from './file-lock.js';

/** Cassettes larger than this are refused before parsing (a YAML document is held in memory whole). */
export const MAX_CASSETTE_BYTES = 256 * 1024 * 1024;

/** Read and validate a cassette file; errors carry `file:line`. */
export async function loadCassette(path: string): Promise<Cassette> {
  let text: string;
  try {
    const buf = await readFile(path);
    if (buf.length > MAX_CASSETTE_BYTES) {
      throw new TraceForgeError('E_CASSETTE_INVALID', `${path}: ${buf.length} bytes is over the ${MAX_CASSETTE_BYTES}-byte cassette limit; split it into several cassettes`);
    }
    text = buf.toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new TraceForgeError('E_CASSETTE_NOT_FOUND', `cassette ${path} does not exist: record it first with \`traceforge record --cassette ${path}\``, { cause: e });
    }
    if ((e as NodeJS.ErrnoException).code === 'EISDIR') {
      throw new TraceForgeError('E_CASSETTE_INVALID', `${path} is a directory, not a cassette file`, { cause: e });
    }
    throw e;
  }
  return parseCassette(text, path);
}

export async function cassetteExists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch {
    return false;
  }
}

/** A YAML cassette is held in memory whole, so interactions whose body was spilled to disk cannot go in one. */
function refuseSpilled(path: string, traces: readonly Trace[]): void {
  for (const t of traces) {
    const spilled = spilledOf(t);
    if (spilled) {
      throw new TraceForgeError(
        'E_CASSETTE_INVALID',
        `${path}: interaction ${t.id} (${t.http.method} ${t.endpoint}) has a ${spilled.bytes}-byte body, too big for a YAML cassette, which is held in memory whole; it is kept in its trace file instead (raise TRACEFORGE_SPILL_BYTES to keep bodies this size in memory)`,
      );
    }
  }
}

/** Atomically replace a cassette with these interactions. */
export async function writeCassette(path: string, cassette: Cassette): Promise<void> {
  refuseSpilled(path, cassette.interactions);
  await withFileLock(path, () => writeFileAtomic(path, stringifyCassette(cassette)));
}

/**
 * Append interactions under the cassette lock: read, add, write atomically. Concurrent appenders
 * (other processes or workers) serialize on the lock, so none of their interactions are lost.
 */
export async function appendToCassette(path: string, traces: Trace[]): Promise<void> {
  if (traces.length === 0) return;
  refuseSpilled(path, traces);
  await withFileLock(path, async () => {
    let cassette: Cassette;
    try {
      cassette = parseCassette(await readFile(path, 'utf8'), path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      cassette = emptyCassette();
    }
    cassette.interactions.push(...traces);
    await writeFileAtomic(path, stringifyCassette(cassette));
  });
}
