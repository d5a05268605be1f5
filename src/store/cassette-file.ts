import { readFile } from 'node:fs/promises';
import { TraceForgeError } from '../errors.js';
import { emptyCassette, parseCassette, stringifyCassette, type Cassette } from '../cassette/codec.js';
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

/** Atomically replace a cassette with these interactions. */
export async function writeCassette(path: string, cassette: Cassette): Promise<void> {
  await withFileLock(path, () => writeFileAtomic(path, stringifyCassette(cassette)));
}

/**
 * Append interactions under the cassette lock: read, add, write atomically. Concurrent appenders
 * (other processes or workers) serialize on the lock, so none of their interactions are lost.
 */
export async function appendToCassette(path: string, traces: Trace[]): Promise<void> {
  if (traces.length === 0) return;
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
