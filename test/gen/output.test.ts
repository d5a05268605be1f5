import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTraceForgeError } from '../../src/errors.js';
import { relativeUrl, resolveInProject, writeAllOrNothing } from '../../src/gen/output.js';

let cwd: string;
let outside: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'tf-out-'));
  outside = await mkdtemp(join(tmpdir(), 'tf-outside-'));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<[string | false, string]> {
  const e = await p.then(
    () => new Error('resolved'),
    (err: unknown) => err as Error,
  );
  return [isTraceForgeError(e) && e.code, e.message];
}

/** Every file under dir, relative, sorted: what a failed write must leave unchanged. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.map((d) => join(d.parentPath, d.name).slice(dir.length + 1)).sort();
}

describe('resolveInProject', () => {
  it('accepts paths inside the project, new directories included', async () => {
    expect(await resolveInProject(cwd, 'test/deep/new/a.test.ts', '--out')).toBe(join(cwd, 'test/deep/new/a.test.ts'));
  });

  it('refuses paths outside it, by .., absolute path or symlink', async () => {
    const [code, message] = await codeOf(resolveInProject(cwd, '../elsewhere/a.test.ts', '--out'));
    expect(code).toBe('E_PATH');
    expect(message).toMatch(/^--out \.\.\/elsewhere\/a\.test\.ts is outside the project \(.+\): generated files must go inside it, e\.g\. --out test\/name\.test\.ts$/);
    expect((await codeOf(resolveInProject(cwd, join(outside, 'x.yaml'), '--cassette')))[0]).toBe('E_PATH');
    await symlink(outside, join(cwd, 'linked'));
    expect((await codeOf(resolveInProject(cwd, 'linked/sub/x.yaml', '--cassette')))[1]).toContain('e.g. --cassette fixtures/name.yaml');
    expect((await codeOf(resolveInProject(cwd, '.', '--out')))[0]).toBe('E_PATH');
  });

  it('gives the cassette path relative to the test, ready for import.meta.url', () => {
    expect(relativeUrl('/p/test/a.test.ts', '/p/fixtures/a.yaml')).toBe('../fixtures/a.yaml');
    expect(relativeUrl('/p/test/a.test.ts', '/p/test/a.yaml')).toBe('./a.yaml');
  });
});

describe('writeAllOrNothing', () => {
  const files = () => [
    { path: join(cwd, 'test/a.test.ts'), text: 'test', flag: '--out' },
    { path: join(cwd, 'fixtures/a.yaml'), text: 'cassette', flag: '--cassette' },
  ];

  it('writes every file and leaves no temp files', async () => {
    await writeAllOrNothing(cwd, files(), false);
    expect(await tree(cwd)).toEqual(['fixtures', 'fixtures/a.yaml', 'test', 'test/a.test.ts']);
    expect(await readFile(join(cwd, 'fixtures/a.yaml'), 'utf8')).toBe('cassette');
  });

  it('never overwrites without force, and then writes nothing at all', async () => {
    await mkdir(join(cwd, 'fixtures'));
    await writeFile(join(cwd, 'fixtures/a.yaml'), 'mine');
    const [code, message] = await codeOf(writeAllOrNothing(cwd, files(), false));
    expect([code, message]).toEqual(['E_GEN', 'fixtures/a.yaml already exists: pass --force to overwrite it, or choose another path with --cassette']);
    expect(await tree(cwd)).toEqual(['fixtures', 'fixtures/a.yaml']);
    expect(await readFile(join(cwd, 'fixtures/a.yaml'), 'utf8')).toBe('mine');
    await writeAllOrNothing(cwd, files(), true);
    expect(await readFile(join(cwd, 'fixtures/a.yaml'), 'utf8')).toBe('cassette');
    expect(await tree(cwd)).toEqual(['fixtures', 'fixtures/a.yaml', 'test', 'test/a.test.ts']);
  });

  it('removes what it made when a later file cannot be written', async () => {
    // `fixtures` is a file, so its cassette cannot get a directory: the test file must not stay behind.
    await writeFile(join(cwd, 'fixtures'), 'in the way');
    const [code, message] = await codeOf(writeAllOrNothing(cwd, files(), false));
    expect(code).toBe('E_GEN');
    expect(message).toMatch(/^could not write the generated files \(nothing was written\): E(EXIST|NOTDIR)/);
    expect(await tree(cwd)).toEqual(['fixtures']);
  });

  it('refuses to replace a directory, even with force', async () => {
    await mkdir(join(cwd, 'test/a.test.ts'), { recursive: true });
    expect(await codeOf(writeAllOrNothing(cwd, files(), true))).toEqual(['E_PATH', 'test/a.test.ts exists and is not a file: choose another path with --out']);
  });
});
