import { mkdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { TraceForgeError } from '../errors.js';

const WHY: Record<string, string> = {
  EROFS: 'is on a read-only file system',
  EACCES: 'is not writable (permission denied)',
  EPERM: 'is not writable (operation not permitted)',
  ENOTDIR: 'has a file where a directory should be in its path',
  EEXIST: 'is a file, not a directory',
  ENOSPC: 'is on a full disk',
  ENAMETOOLONG: 'is too long a name for the file system',
};

/** One line for a directory that could not be written: which, why, and `fix` (what to pass instead). */
export function dirWriteError(dir: string, e: unknown, fix: string): TraceForgeError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  return new TraceForgeError('E_PATH', `${dir} ${WHY[code] ?? `cannot be written (${code || (e as Error).message})`}: ${fix}`, { cause: e });
}

/**
 * `mkdir -p`, with the real reason when it fails: Node's recursive mkdir says ENOENT for a directory it
 * could not make on a read-only file system, so the first missing one is made alone to learn why.
 * Returns the first directory made, if any.
 */
export async function makeDir(dir: string): Promise<string | undefined> {
  try {
    return await mkdir(dir, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    let missing = resolve(dir);
    while (dirname(missing) !== missing && !(await stat(dirname(missing)).then(() => true, () => false))) missing = dirname(missing);
    await mkdir(missing);
    return (await mkdir(dir, { recursive: true })) ?? missing;
  }
}

/**
 * Run `fn` with `dir` in place. With `leave: false`, the directories that had to be made for it are
 * removed afterwards if they are still empty: a check before recording must not litter a project with
 * empty `__cassettes__` folders for test files that make no calls.
 */
export async function withDir<T>(dir: string, fn: () => Promise<T>, leave = true): Promise<T> {
  const made = await makeDir(dir);
  try {
    return await fn();
  } finally {
    if (made !== undefined && !leave) {
      const top = resolve(made);
      // Deepest first; one that is not empty any more (another writer got there) ends it.
      for (let d = resolve(dir); d.length >= top.length; d = dirname(d)) {
        if (!(await rmdir(d).then(() => true, () => false)) || d === top) break;
      }
    }
  }
}

/**
 * Make `dir` and prove a file can be written in it, so a recorder finds out before the first call
 * rather than failing every trace after the calls were made. `flag` names the option that sets it;
 * `leave: false` removes the directories made for the check (see withDir).
 */
export async function ensureWritableDir(dir: string, flag: string, leave = true): Promise<void> {
  const probe = join(dir, `.traceforge-write-check-${process.pid}`);
  try {
    await withDir(
      dir,
      async () => {
        // One byte: an empty file needs no room, so it would not find a full disk.
        try {
          await writeFile(probe, 'x');
        } finally {
          await rm(probe, { force: true });
        }
      },
      leave,
    );
  } catch (e) {
    throw dirWriteError(dir, e, `pass ${flag} with a writable directory`);
  }
}
