import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
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
 * Prove that a file whose name is `nameBytes` long can be written (one byte: an empty file needs no room,
 * so it would not find a full disk) in `dir`, leaving nothing behind: no probe file, and no directory. When
 * `dir` does not exist yet, the probe goes in the nearest directory that does: one not made yet cannot be a
 * mount point, so it will be on that file system. Making directories here and removing them after would race
 * with another writer that has just made sure they exist. Throws the file system's own error.
 */
export async function probeWritable(dir: string, nameBytes = 32): Promise<void> {
  let at = resolve(dir);
  for (;;) {
    const info = await stat(at).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' && dirname(at) !== at) return undefined;
      throw e;
    });
    if (info?.isDirectory()) break;
    if (info) throw Object.assign(new Error(`${at} is not a directory`), { code: 'ENOTDIR' });
    at = dirname(at);
  }
  const base = `.traceforge-probe-${process.pid}-${randomBytes(4).toString('hex')}`;
  const probe = join(at, base + 'x'.repeat(Math.max(0, nameBytes - base.length)));
  try {
    await writeFile(probe, 'x', { flag: 'wx' });
  } finally {
    await rm(probe, { force: true }).catch(() => {});
  }
}

/**
 * Make `dir` and prove a file can be written in it, so a recorder finds out before the first call
 * rather than failing every trace after the calls were made. `flag` names the option that sets it.
 */
export async function ensureWritableDir(dir: string, flag: string): Promise<void> {
  const probe = join(dir, `.traceforge-write-check-${process.pid}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, 'x');
    await rm(probe, { force: true });
  } catch (e) {
    throw dirWriteError(dir, e, `pass ${flag} with a writable directory`);
  }
}
