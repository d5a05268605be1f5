import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TraceForgeError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { oneLine } from '../util/one-line.js';

/** Which run last replaced a cassette in record mode `all`, and who recorded into it in that run (test files, or sessions). */
export interface RunMarker {
  run: string;
  by: string[];
}

/**
 * Where a cassette's marker lives: outside the project (nothing to commit or ignore), one per user, named
 * by the cassette's absolute path. Only its owner's sessions read it, under the cassette's lock.
 */
export function runMarkerPath(cassette: string): string {
  const user = typeof process.getuid === 'function' ? `-${process.getuid()}` : '';
  const name = createHash('sha256').update(resolve(cassette)).digest('hex').slice(0, 32);
  return join(tmpdir(), `traceforge-runs${user}`, `${name}.json`);
}

/** The marker, or undefined when there is none (or it is not one): the next writer replaces the cassette. */
export async function readRunMarker(cassette: string): Promise<RunMarker | undefined> {
  try {
    const m = JSON.parse(await readFile(runMarkerPath(cassette), 'utf8')) as Partial<RunMarker>;
    return typeof m.run === 'string' && Array.isArray(m.by) && m.by.every((b) => typeof b === 'string') ? { run: m.run, by: m.by } : undefined;
  } catch {
    return undefined;
  }
}

export async function writeRunMarker(cassette: string, marker: RunMarker): Promise<void> {
  const path = runMarkerPath(cassette);
  try {
    await writeFileAtomic(path, JSON.stringify(marker));
  } catch (e) {
    // Without it the next test file of this run would replace what this one recorded.
    throw new TraceForgeError(
      'E_PATH',
      `record mode "all": ${path}, which says which run replaced cassette ${oneLine(cassette)}, cannot be written (${oneLine((e as Error).message)}); set TMPDIR to a writable directory`,
      { cause: e },
    );
  }
}
