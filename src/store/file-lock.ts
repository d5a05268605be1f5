import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { TraceForgeError } from '../errors.js';
import { writeNewFile } from '../util/atomic-write.js';
import { realDateNow, realSleep } from '../util/real-timers.js';

const STALE_MS = 30_000;
/**
 * A lock that names no owner. TraceForge never leaves one (see takeLock), but an older version that ran out
 * of disk space did, and on a file system without hard links a lock is empty for the microseconds between
 * its creation and its write: a second is far longer than that, and far shorter than STALE_MS.
 */
const OWNERLESS_MS = 1_000;
const HOST = hostname();
/** What a lock file holds: the pid, and the host, so a lock on a shared file system is only judged by its own machine. */
const OWNER = `${process.pid}@${HOST}`;
/** link() is refused by file systems without hard links (FAT, some FUSE and SMB mounts). */
const NO_LINK = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take the lock, or fail with EEXIST when it is held. The owner is written to a file of our own and
 * hard-linked into place: link() fails when the lock exists, and a lock that appears is already complete,
 * so a full disk (ENOSPC) fails here and leaves no lock at all.
 */
async function takeLock(lockPath: string): Promise<void> {
  const tmp = join(dirname(lockPath), `.traceforge-lock.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  await writeNewFile(tmp, OWNER);
  try {
    await link(tmp, lockPath);
  } catch (e) {
    if (!NO_LINK.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
    await writeNewFile(lockPath, OWNER);
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Cross-process exclusive lock: `<path>.lock`, holding its owner's pid and host. Several vitest workers
 * or `record` processes appending to one cassette take turns instead of losing each other's
 * interactions. A lock whose owner is gone (its pid is not alive on this host) is taken over at once; one
 * that names no owner after a second, and any older than 30 s.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const lockPath = `${path}.lock`;
  const deadline = realDateNow() + timeoutMs;
  // The lock lives next to the file, so its directory must exist before the first write.
  await mkdir(dirname(path), { recursive: true });
  let wait = 2;
  for (;;) {
    try {
      await takeLock(lockPath);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      await breakIfStale(lockPath);
      if (realDateNow() > deadline) {
        throw new TraceForgeError('E_CASSETTE_LOCKED', `${path} is locked by another process (${lockPath}); if no TraceForge is running, delete the lock file`);
      }
      await realSleep(wait + Math.random() * wait);
      wait = Math.min(wait * 2, 100);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}

/** What the lock adds to a file's name at most: the guard a breaker of its lock creates (see breakIfStale). */
export const LOCK_SUFFIX = '.lock.break';

/**
 * Break a stale lock. Two waiters can both see the same stale lock; if both deleted it, the second
 * could delete the lock the first had just taken. So breaking is itself exclusive (`<lock>.break`),
 * and the breaker looks again under it before deleting.
 */
async function breakIfStale(lockPath: string): Promise<void> {
  if (!(await isStale(lockPath))) return;
  const guard = `${lockPath}.break`;
  try {
    await (await open(guard, 'wx')).close();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Someone else is breaking it; a guard left by a breaker that died goes after a few seconds.
    await stat(guard).then((g) => (realDateNow() - g.mtimeMs > 5_000 ? rm(guard, { force: true }) : undefined), () => undefined);
    return;
  }
  try {
    if (await isStale(lockPath)) await rm(lockPath, { force: true });
  } finally {
    await rm(guard, { force: true });
  }
}

/** The lock's owner: `pid@host`, or a bare pid (older versions, this host); undefined when it names none. */
function ownerOf(text: string): { pid: number; host: string } | undefined {
  const m = /^(\d+)(?:@(.*))?$/.exec(text.trim());
  const pid = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(pid) && pid > 0 ? { pid, host: m![2] ?? HOST } : undefined;
}

async function isStale(lockPath: string): Promise<boolean> {
  let text: string;
  let age: number;
  try {
    const [content, info] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    text = content;
    age = realDateNow() - info.mtimeMs;
  } catch {
    // Gone already: nothing to break.
    return false;
  }
  if (age > STALE_MS) return true;
  const owner = ownerOf(text);
  if (!owner) return age > OWNERLESS_MS;
  // Another machine's process (a shared file system) cannot be asked: its lock goes by age. Our own pid is
  // another thread of this process (a vitest worker), alive.
  if (owner.host !== HOST || owner.pid === process.pid) return false;
  return !alive(owner.pid);
}
