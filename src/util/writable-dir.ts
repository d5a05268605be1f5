import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/**
 * Make `dir` and prove a file can be written in it, so a recorder finds out before the first call
 * rather than failing every trace after the calls were made. `flag` names the option that sets it.
 */
export async function ensureWritableDir(dir: string, flag: string): Promise<void> {
  const probe = join(dir, `.traceforge-write-check-${process.pid}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw new TraceForgeError('E_PATH', `${dir} ${WHY[code] ?? `cannot be written (${code || (e as Error).message})`}: pass ${flag} with a writable directory`, { cause: e });
  }
}
