import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

/**
 * A temp file beside `path`, for writing it whole and renaming it into place. A name near the file
 * system's limit (255 bytes on most) leaves no room for the temp name's additions, so a long one is
 * hashed: any name that fits can be written atomically.
 */
export function tempPathFor(path: string): string {
  const base = basename(path);
  const stem = Buffer.byteLength(base) > 200 ? createHash('sha256').update(base).digest('hex').slice(0, 24) : base;
  return join(dirname(path), `.${stem}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Write `data` to a file that must not exist yet. On any failure (a full disk) the file is removed and its
 * handle closed: nothing half-written, no descriptor left open.
 */
export async function writeNewFile(path: string, data: string | Uint8Array, sync = false): Promise<void> {
  const fh = await open(path, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    if (sync) await fh.sync();
    await fh.close();
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(path, { force: true });
    throw e;
  }
}

/**
 * Write a file so that readers only ever see the old content or the complete new content:
 * write a temp file in the same directory, fsync it, then rename over the target.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  await writeNewFile(tmp, data, true);
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
