import { open, stat } from 'node:fs/promises';
import { TraceForgeError } from '../errors.js';
import { emptyCassette, parseCassette, stringifyCassette, type Cassette } from '../cassette/codec.js';
import { spilledOf } from '../trace/spilled.js';
import type { Trace } from '../trace/types.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { oneLine, shortText } from '../util/one-line.js';
import { withFileLock } from './file-lock.js';

/** Cassettes larger than this are refused before parsing (a YAML document is held in memory whole). */
export const MAX_CASSETTE_BYTES = 256 * 1024 * 1024;

const shortPath = (path: string): string => shortText(path);

/**
 * Refuse a cassette path Node cannot use (empty, or with a NUL byte) with one line instead of a
 * Node argument error; returns the path. Exported so commands can check it before doing anything.
 */
export function checkCassettePath(path: string): string {
  if (typeof path !== 'string' || path === '') {
    throw new TraceForgeError('E_PATH', 'the cassette path is empty: pass a file such as fixtures/chat.yaml');
  }
  if (path.includes('\0')) {
    throw new TraceForgeError('E_PATH', `the cassette path "${shortPath(path)}" contains a NUL byte: pass a plain file path such as fixtures/chat.yaml`);
  }
  return path;
}

/** One line for a file-system error on a cassette path (permissions, a directory in the way, a name too long...). */
export function cassetteFsError(path: string, e: unknown, doing: 'read' | 'write'): TraceForgeError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' && doing === 'read') {
    return new TraceForgeError('E_CASSETTE_NOT_FOUND', `cassette ${shortPath(path)} does not exist: record it first with \`traceforge record --cassette ${shortPath(path)}\``, { cause: e });
  }
  const why: Record<string, string> = {
    EISDIR: 'is a directory, not a cassette file: pass the path of a .yaml file',
    EACCES: `cannot be ${doing === 'read' ? 'read' : 'written'}: permission denied (check the file and directory permissions)`,
    EPERM: `cannot be ${doing === 'read' ? 'read' : 'written'}: operation not permitted (check the file and directory permissions)`,
    EROFS: 'is on a read-only file system: choose a writable path',
    ENOTDIR: 'has a file where a directory should be in its path: fix the path',
    ENAMETOOLONG: 'is too long a name for the file system: choose a shorter path',
    ELOOP: 'has a symbolic link loop in its path: fix the path',
    ENOSPC: 'cannot be written: the disk is full',
    ENOENT: 'cannot be written: a directory in its path does not exist',
  };
  const message = (e as Error)?.message ?? String(e);
  return new TraceForgeError('E_PATH', `cassette ${shortPath(path)} ${why[code ?? ''] ?? `cannot be ${doing === 'read' ? 'read' : 'written'} (${oneLine(message)})`}`, { cause: e });
}

/**
 * Read and validate a cassette file; errors carry `file:line`. The size is checked before a byte
 * is read, so a multi-gigabyte (or sparse) file is refused at once, and only regular files are
 * opened (a FIFO would block the read forever).
 */
export async function loadCassette(path: string): Promise<Cassette> {
  const text = await readCassetteText(path);
  if (text === null) throw cassetteFsError(path, Object.assign(new Error('not found'), { code: 'ENOENT' }), 'read');
  return parseCassette(text, path);
}

/** The file's text, or null when there is no file. */
async function readCassetteText(path: string): Promise<string | null> {
  checkCassettePath(path);
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!info.isFile()) {
      throw new TraceForgeError('E_CASSETTE_INVALID', `${shortPath(path)} is not a regular file (a device, FIFO or socket): pass the path of a .yaml cassette`);
    }
    const fh = await open(path, 'r');
    try {
      // Checked on the open handle too: the file may have been swapped or grown since the stat.
      const size = Math.max((await fh.stat()).size, info.size);
      if (size > MAX_CASSETTE_BYTES) {
        throw new TraceForgeError('E_CASSETTE_INVALID', `${shortPath(path)}: ${size} bytes is over the ${MAX_CASSETTE_BYTES}-byte cassette limit; split it into several cassettes`);
      }
      return (await fh.readFile()).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch (e) {
    if (e instanceof TraceForgeError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw cassetteFsError(path, e, 'read');
  }
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

/** A YAML cassette is held in memory whole, so interactions whose body was spilled to disk cannot go in one. */
function refuseSpilled(path: string, traces: readonly Trace[]): void {
  for (const t of traces) {
    const spilled = spilledOf(t);
    if (spilled) {
      throw new TraceForgeError(
        'E_CASSETTE_INVALID',
        `${shortPath(path)}: interaction ${t.id} (${t.http.method} ${t.endpoint}) has a ${spilled.bytes}-byte body, too big for a YAML cassette, which is held in memory whole; it is kept in its trace file instead (raise TRACEFORGE_SPILL_BYTES to keep bodies this size in memory)`,
      );
    }
  }
}

/** Atomically replace a cassette with these interactions. */
export async function writeCassette(path: string, cassette: Cassette): Promise<void> {
  checkCassettePath(path);
  refuseSpilled(path, cassette.interactions);
  await writing(path, () => withFileLock(path, () => writeFileAtomic(path, stringifyCassette(cassette))));
}

/** Turn a file-system failure while writing into one line; TraceForge errors pass through. */
async function writing(path: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof TraceForgeError) throw e;
    throw cassetteFsError(path, e, 'write');
  }
}

/**
 * Append interactions under the cassette lock: read, add, write atomically. Concurrent appenders
 * (other processes or workers) serialize on the lock, so none of their interactions are lost.
 */
export async function appendToCassette(path: string, traces: Trace[]): Promise<void> {
  checkCassettePath(path);
  if (traces.length === 0) return;
  refuseSpilled(path, traces);
  await writing(path, () =>
    withFileLock(path, async () => {
      const text = await readCassetteText(path);
      const cassette = text === null ? emptyCassette() : parseCassette(text, path);
      cassette.interactions.push(...traces);
      await writeFileAtomic(path, stringifyCassette(cassette));
    }),
  );
}
