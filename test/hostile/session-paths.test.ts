/** Cassette paths that are not cassette files, given to the programmatic API: one line, no Node argument error. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCassette } from '../../src/session.js';
import { startReplayServer } from '../../src/replay/replay-server.js';
import { useCassette } from '../../src/vitest.js';
import { caught, caughtSync, expectOneLine, tempDir } from './helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
  await mkdir(join(tmp.dir, 'dir.yaml'));
  await writeFile(join(tmp.dir, 'file'), 'x');
});
afterAll(() => tmp.cleanup());

const env = { CI: '1' };

describe('openCassette, startReplayServer and useCassette with hostile paths', () => {
  it('a NUL byte', async () => {
    const path = join(tmp.dir, 'chat\0.yaml');
    for (const mode of ['none', 'once', 'all'] as const) {
      const e = expectOneLine(await caught(() => openCassette(path, { mode, upstream: 'http://127.0.0.1:9', env })), 'E_PATH');
      expect(e.message).toMatch(/^the cassette path ".*chat\\u0000\.yaml" contains a NUL byte: pass a plain file path/);
    }
    expectOneLine(await caught(() => startReplayServer({ cassette: path })), 'E_PATH');
    expectOneLine(caughtSync(() => useCassette(path)), 'E_PATH');
    expectOneLine(caughtSync(() => useCassette('')), 'E_PATH');
  });

  it('a directory, in every record mode', async () => {
    const path = join(tmp.dir, 'dir.yaml');
    for (const mode of ['none', 'once', 'new_episodes', 'all'] as const) {
      const e = expectOneLine(await caught(() => openCassette(path, { mode, upstream: 'http://127.0.0.1:9', env })), 'E_PATH', path);
      expect(e.message).toBe(`cassette ${path} is a directory, not a cassette file: pass the path of a .yaml file`);
    }
    expectOneLine(await caught(() => startReplayServer({ cassette: path })), 'E_PATH', path);
  });

  it('a file where a directory should be, and a name too long for the file system', async () => {
    const under = join(tmp.dir, 'file', 'chat.yaml');
    const e = expectOneLine(await caught(() => openCassette(under, { mode: 'none', env })), 'E_PATH', under);
    expect(e.message).toMatch(/has a file where a directory should be in its path/);
    const long = join(tmp.dir, `${'n'.repeat(5000)}.yaml`);
    const e2 = expectOneLine(await caught(() => openCassette(long, { mode: 'none', env })), 'E_PATH');
    expect(e2.message).toMatch(/is too long a name for the file system/);
    expect(e2.message.length).toBeLessThan(400);
  });

  it('a path with a newline in it is written out escaped', async () => {
    const path = join(tmp.dir, 'two\nlines.yaml');
    const e = expectOneLine(await caught(() => openCassette(path, { mode: 'none', env })), 'E_CASSETTE_NOT_FOUND');
    expect(e.message).toContain('two\\nlines.yaml');
  });
});
