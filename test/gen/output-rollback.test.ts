import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { writeAllOrNothing } from '../../src/gen/output.js';

// The last step, moving a file in, fails for the cassette: a file that appeared after the check.
vi.mock('node:fs/promises', async (original) => {
  const fs = await original<typeof import('node:fs/promises')>();
  return {
    ...fs,
    link: vi.fn(async (from: string, to: string) => {
      if (to.endsWith('.yaml')) throw Object.assign(new Error(`EEXIST: file already exists, link '${from}' -> '${to}'`), { code: 'EEXIST' });
      return fs.link(from, to);
    }),
  };
});

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'tf-rollback-'));
});
afterEach(() => rm(cwd, { recursive: true, force: true }));

it('takes back files already moved in and restores the ones it replaced', async () => {
  await mkdir(join(cwd, 'test'));
  await writeFile(join(cwd, 'test/a.test.ts'), 'old test');
  const files = [
    { path: join(cwd, 'test/a.test.ts'), text: 'new test', flag: '--out' },
    { path: join(cwd, 'fixtures/a.yaml'), text: 'cassette', flag: '--cassette' },
  ];
  await expect(writeAllOrNothing(cwd, files, true)).rejects.toThrow(/nothing was written\): EEXIST/);
  expect(await readFile(join(cwd, 'test/a.test.ts'), 'utf8')).toBe('old test');
  expect((await readdir(cwd, { recursive: true })).sort()).toEqual(['test', 'test/a.test.ts']);
});
