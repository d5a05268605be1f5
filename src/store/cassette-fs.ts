import { open, stat, type FileHandle } from 'node:fs/promises';
import { TraceForgeError } from '../errors.js';
import { oneLine, shortText } from '../util/one-line.js';

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
    ENAMETOOLONG:
      doing === 'read'
        ? 'is too long a name for the file system: choose a shorter path'
        : 'is too long a name for the file system (its lock beside it adds `.lock.break`: a cassette written to can have a name of at most 244 bytes on most file systems): choose a shorter path',
    ELOOP: 'has a symbolic link loop in its path: fix the path',
    ENOSPC: 'cannot be written: the disk is full',
    ENOENT: 'cannot be written: a directory in its path does not exist',
  };
  const message = (e as Error)?.message ?? String(e);
  return new TraceForgeError('E_PATH', `cassette ${shortPath(path)} ${why[code ?? ''] ?? `cannot be ${doing === 'read' ? 'read' : 'written'} (${oneLine(message)})`}`, { cause: e });
}

/**
 * Open an existing cassette, or null when there is none. Only regular files are opened: a FIFO would
 * block a read forever. `flags` 'a+' is for appending (reads at explicit positions, writes at the end).
 */
export async function openCassetteFile(path: string, flags: 'r' | 'a+'): Promise<FileHandle | null> {
  checkCassettePath(path);
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!info.isFile()) {
      throw new TraceForgeError('E_CASSETTE_INVALID', `${shortPath(path)} is not a regular file (a device, FIFO or socket): pass the path of a .yaml cassette`);
    }
    return await open(path, flags);
  } catch (e) {
    if (e instanceof TraceForgeError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw cassetteFsError(path, e, flags === 'r' ? 'read' : 'write');
  }
}

/** Run `fn`, turning a file-system failure into one line; TraceForge errors pass through. */
export async function cassetteIo<T>(path: string, doing: 'read' | 'write', fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof TraceForgeError) throw e;
    throw cassetteFsError(path, e, doing);
  }
}
