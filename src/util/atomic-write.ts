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
 * Write a file so that readers only ever see the old content or the complete new content:
 * write a temp file in the same directory, fsync it, then rename over the target.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
