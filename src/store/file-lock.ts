import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TraceForgeError } from '../errors.js';
import { realDateNow, realSleep } from '../util/real-timers.js';

const STALE_MS = 30_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Cross-process exclusive lock: `<path>.lock` created with O_EXCL and holding our pid. Several
 * vitest workers or `record` processes appending to one cassette take turns instead of losing
 * each other's interactions. A lock left by a dead process, or older than 30 s, is broken.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const lockPath = `${path}.lock`;
  const deadline = realDateNow() + timeoutMs;
  // The lock lives next to the file, so its directory must exist before the first write.
  await mkdir(dirname(path), { recursive: true });
  let wait = 2;
  for (;;) {
    try {
      const fh = await open(lockPath, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
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
  } catch {
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

async function isStale(lockPath: string): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    const pid = Number(text);
    const dead = text !== '' && Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid);
    return dead || realDateNow() - info.mtimeMs > STALE_MS;
  } catch {
    // Gone already: nothing to break.
    return false;
  }
}
