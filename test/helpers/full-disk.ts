/**
 * A real full disk for tests: a 256 KiB tmpfs mounted on a temp directory, filled until the kernel says
 * ENOSPC (or remounted read-only: root writes through file permissions, not through that). Mounting needs root (CAP_SYS_ADMIN); elsewhere `mountSmallDisk` returns undefined and the tests
 * that need it are skipped, saying why.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SmallDisk {
  readonly dir: string;
  /** Write a filler file until the disk is full. */
  fill(): Promise<void>;
  /** Delete the filler: the disk has room again. */
  free(): Promise<void>;
  /** Remount it read-only (EROFS for every write), or writable again. */
  readOnly(on: boolean): Promise<void>;
  unmount(): Promise<void>;
}

export const SMALL_DISK_SKIP = 'needs root to mount a tmpfs (a real full disk)';

export async function mountSmallDisk(): Promise<SmallDisk | undefined> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'tf-full-disk-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir]);
  } catch {
    await rmdir(dir).catch(() => {});
    return undefined;
  }
  const filler = join(dir, 'filler');
  return {
    dir,
    async fill() {
      const fh = await open(filler, 'a');
      try {
        const block = Buffer.alloc(4096, 120);
        for (;;) await fh.write(block);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      } finally {
        await fh.close();
      }
    },
    free: () => rm(filler, { force: true }),
    async readOnly(on) {
      await run('mount', ['-o', `remount,${on ? 'ro' : 'rw'}`, dir]);
    },
    async unmount() {
      // Lazy: a handle a failing test left open must not keep the mount.
      await run('umount', ['-l', dir]).catch(() => {});
      await rmdir(dir).catch(() => {});
    },
  };
}
