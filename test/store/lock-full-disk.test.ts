/**
 * The cassette lock on a full disk, and a lock that names no owner: a failed attempt leaves no lock
 * file and no open handle, and a lock nobody holds is taken over at once instead of blocking every
 * append for 15 s and failing it.
 */
import { mkdtemp, readdir, readlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceForgeError } from '../../src/errors.js';
import { appendToCassette, loadCassette } from '../../src/store/cassette-file.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { SMALL_DISK_SKIP, mountSmallDisk, type SmallDisk } from '../helpers/full-disk.js';

/** Files this process holds open under `dir` (Linux: /proc/self/fd). */
async function openUnder(dir: string): Promise<string[]> {
  const fds = await readdir('/proc/self/fd').catch(() => [] as string[]);
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return targets.filter((t) => t.startsWith(dir));
}

const disk = await mountSmallDisk();

describe.skipIf(!disk)(`the cassette lock on a full disk (${disk ? 'tmpfs' : SMALL_DISK_SKIP})`, () => {
  let d: SmallDisk;
  beforeAll(() => {
    d = disk!;
  });
  afterAll(() => d.unmount());

  it('fails the append with the path and ENOSPC, leaves no lock, temp file or open handle, and the next append after space is freed goes through at once', async () => {
    const path = join(d.dir, 'c.yaml');
    await appendToCassette(path, [makeOpenAIStreamTrace({ id: 'before' })]);
    await d.fill();
    const err = await appendToCassette(path, [makeOpenAIStreamTrace({ id: 'lost' })]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceForgeError);
    expect((err as TraceForgeError).code).toBe('E_PATH');
    expect((err as Error).message).toBe(`cassette ${path} cannot be written: the disk is full`);
    expect((await readdir(d.dir)).sort()).toEqual(['c.yaml', 'filler']);
    expect(await openUnder(d.dir)).toEqual([]);
    await d.free();
    const started = performance.now();
    await appendToCassette(path, [makeOpenAIStreamTrace({ id: 'after' })]);
    // Loose: a lock left behind made this wait 15 s and fail.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect((await loadCassette(path)).interactions.map((t) => t.id)).toEqual(['before', 'after']);
  }, 40_000);
});

describe('a lock that names no owner', () => {
  it('is taken over once it is a second old, without waiting for the 30 s staleness', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tf-lock-empty-'));
    const path = join(dir, 'c.yaml');
    await writeFile(`${path}.lock`, '');
    const twoSecondsAgo = new Date(Date.now() - 2_000);
    await utimes(`${path}.lock`, twoSecondsAgo, twoSecondsAgo);
    const started = performance.now();
    await appendToCassette(path, [makeOpenAIStreamTrace({ id: 'after-empty-lock' })]);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect((await loadCassette(path)).interactions.map((t) => t.id)).toEqual(['after-empty-lock']);
    expect(await readdir(dir)).toEqual(['c.yaml']);
  }, 40_000);
});
