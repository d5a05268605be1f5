/**
 * A cassette append or trace save that fails part-way leaves the previous file byte for byte as it
 * was, and no temp or lock file next to it.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendToCassette, loadCassette, writeCassette } from '../../src/store/cassette-file.js';
import { createTraceStore } from '../../src/store/trace-store.js';
import { attachSpilled } from '../../src/trace/spilled.js';
import type { TraceChunk } from '../../src/trace/types.js';
import { makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { caught, expectOneLine, leftovers, tempDir } from './helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => tmp.cleanup());

/**
 * Make `dir` refuse new files: chmod for a normal user; root ignores modes, so `chattr +i` there.
 * Returns how to undo it, or undefined when neither works on this machine.
 */
async function makeReadOnly(dir: string): Promise<(() => Promise<void>) | undefined> {
  if (process.getuid?.() !== 0) {
    await chmod(dir, 0o555);
    return () => chmod(dir, 0o755);
  }
  try {
    execFileSync('chattr', ['+i', dir], { stdio: 'ignore' });
    return async () => void execFileSync('chattr', ['-i', dir], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
}

describe('a cassette write that cannot complete', () => {
  it('in a read-only directory: one line, the cassette as it was, no temp or lock file', async (ctx) => {
    const dir = join(tmp.dir, 'ro-cassette');
    await mkdir(dir);
    const path = join(dir, 'chat.yaml');
    await writeCassette(path, { version: 1, interactions: [makeNonStreamTrace({ id: 'a0a0a0a0a0a0' })] });
    const before = await readFile(path);
    const undo = await makeReadOnly(dir);
    if (!undo) return ctx.skip();
    try {
      const e = expectOneLine(await caught(() => appendToCassette(path, [makeOpenAIStreamTrace({ id: 'b0b0b0b0b0b0' })])), 'E_PATH', path);
      expect(e.message).toMatch(/cannot be written: (permission denied|operation not permitted)/);
      const e2 = expectOneLine(await caught(() => writeCassette(path, { version: 1, interactions: [] })), 'E_PATH', path);
      expect(e2.message).toMatch(/cannot be written/);
    } finally {
      await undo();
    }
    expect(await readFile(path)).toEqual(before);
    expect(await leftovers(dir)).toEqual([]);
    expect((await loadCassette(path)).interactions.map((t) => t.id)).toEqual(['a0a0a0a0a0a0']);
  });

  it('onto a cassette that no longer parses: refused, the file left for the user to fix', async () => {
    const dir = join(tmp.dir, 'corrupt');
    await mkdir(dir);
    const path = join(dir, 'chat.yaml');
    await writeFile(path, 'version: 1\ninteractions:\n  - [unclosed\n');
    const before = await readFile(path);
    expectOneLine(await caught(() => appendToCassette(path, [makeNonStreamTrace()])), 'E_CASSETTE_INVALID', `${path}:`);
    expect(await readFile(path)).toEqual(before);
    expect(await leftovers(dir)).toEqual([]);
  });

  it('a trace that cannot go in a YAML cassette (spilled body) is refused before the lock is taken', async () => {
    const dir = join(tmp.dir, 'spilled-cassette');
    await mkdir(dir);
    const path = join(dir, 'chat.yaml');
    await writeCassette(path, { version: 1, interactions: [] });
    const before = await readFile(path);
    const t = attachSpilled(makeOpenAIStreamTrace(), { kind: 'chunks', count: 1, bytes: 1 << 30, read: async function* () {} });
    expectOneLine(await caught(() => appendToCassette(path, [t])), 'E_CASSETTE_INVALID', path);
    expect(await readFile(path)).toEqual(before);
    expect(await leftovers(dir)).toEqual([]);
  });
});

describe('a trace save that fails part-way', () => {
  it('when reading the spilled body throws after some pieces were written: the old file stays, no temp file', async () => {
    const dir = join(tmp.dir, 'traces');
    const store = createTraceStore(dir);
    const good = makeOpenAIStreamTrace({ id: 'c0c0c0c0c0c0' });
    const path = await store.save(good);
    const before = await readFile(path);
    const again = makeOpenAIStreamTrace({ id: 'c0c0c0c0c0c0' });
    const chunks = again.chunks!;
    let yielded = 0;
    const failing = attachSpilled(again, {
      kind: 'chunks',
      count: 100_000,
      bytes: 1 << 24,
      async *read() {
        // Enough pieces that the writer has flushed part of the file before the read fails.
        for (let i = 0; i < 100_000; i++) {
          if (i === 50_000) throw new Error('spill file vanished');
          yielded++;
          yield { ...chunks[i % chunks.length]!, raw: `data: ${'x'.repeat(64)}\n\n` } as TraceChunk;
        }
      },
    });
    await expect(store.save(failing)).rejects.toThrow('spill file vanished');
    expect(yielded).toBe(50_000);
    expect(await readFile(path)).toEqual(before);
    expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
    expect((await store.load('c0c0')).chunks).toEqual(good.chunks);
  });

  it('in a read-only trace directory: the old file stays, no temp file', async (ctx) => {
    const dir = join(tmp.dir, 'ro-traces');
    const store = createTraceStore(dir);
    const path = await store.save(makeNonStreamTrace({ id: 'd0d0d0d0d0d0' }));
    const before = await readFile(path);
    const undo = await makeReadOnly(dir);
    if (!undo) return ctx.skip();
    try {
      await expect(store.save(makeNonStreamTrace({ id: 'd0d0d0d0d0d0', text: 'changed' }))).rejects.toThrow(/EACCES|EPERM/);
    } finally {
      await undo();
    }
    expect(await readFile(path)).toEqual(before);
    expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});
