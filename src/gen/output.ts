/**
 * Where generated files go and how they get there: inside the project only, never over an existing
 * file without `force`, and all of them or none.
 */
import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, open, readdir, realpath, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { TraceForgeError } from '../errors.js';

export interface PlannedFile {
  /** Absolute path. */
  path: string;
  text: string;
  /** The flag that chose this path, for messages (`--out`). */
  flag: string;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

/** The real location of a path that may not exist yet: its deepest existing ancestor, resolved, plus the rest. */
async function realLocation(abs: string): Promise<string> {
  let probe = abs;
  for (;;) {
    try {
      return join(await realpath(probe), relative(probe, abs));
    } catch (e) {
      if (errno(e) !== 'ENOENT' || dirname(probe) === probe) throw e;
      probe = dirname(probe);
    }
  }
}

/**
 * Resolve `path` against the project root and make sure it stays inside it, symlinks included.
 * Throws E_PATH naming the flag otherwise.
 */
export async function resolveInProject(cwd: string, path: string, flag: string): Promise<string> {
  const root = await realpath(cwd);
  const abs = resolve(cwd, path);
  const rel = relative(root, await realLocation(abs));
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new TraceForgeError('E_PATH', `${flag} ${path} is outside the project (${root}): generated files must go inside it, e.g. ${flag} ${flag === '--cassette' ? 'fixtures/name.yaml' : 'test/name.test.ts'}`);
  }
  return abs;
}

/** `to` relative to the directory of `from`, `/`-separated and starting with `.`: ready for `new URL(…, import.meta.url)`. */
export function relativeUrl(from: string, to: string): string {
  const rel = relative(dirname(from), to).split(sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

async function exists(path: string): Promise<'file' | 'other' | false> {
  try {
    return (await lstat(path)).isFile() ? 'file' : 'other';
  } catch (e) {
    // ENOTDIR: a parent is a file. The path is free as far as overwriting goes; making its directory will fail.
    if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return false;
    throw e;
  }
}

async function writeTemp(path: string, text: string): Promise<string> {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.traceforge-gen.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

/**
 * Write every file or none. Each is staged as a synced temp file next to its target, then moved in:
 * a hard link for new files (which fails rather than clobber a file that appeared meanwhile) or a
 * rename over the old one with `force`. If any step fails, files already moved in are taken back out,
 * replaced ones restored, and directories made for them removed.
 */
export async function writeAllOrNothing(cwd: string, files: PlannedFile[], force: boolean): Promise<void> {
  for (const f of files) {
    const kind = await exists(f.path);
    const shown = relative(cwd, f.path);
    if (kind === 'other') throw new TraceForgeError('E_PATH', `${shown} exists and is not a file: choose another path with ${f.flag}`);
    if (kind === 'file' && !force) {
      // `exists` lets the TUI's `g` ask before overwriting, where no --force can be passed.
      throw new TraceForgeError('E_GEN', `${shown} already exists: pass --force to overwrite it, or choose another path with ${f.flag}`, { detail: { exists: shown } });
    }
  }
  const madeDirs: string[] = [];
  const temps: string[] = [];
  const undo: Array<() => Promise<unknown>> = [];
  try {
    for (const f of files) {
      const made = await mkdir(dirname(f.path), { recursive: true });
      if (made) madeDirs.push(made);
    }
    for (const f of files) temps.push(await writeTemp(f.path, f.text));
    for (const [i, f] of files.entries()) {
      const tmp = temps[i]!;
      if ((await exists(f.path)) === 'file') {
        const backup = `${tmp}.old`;
        await link(f.path, backup);
        undo.push(() => rename(backup, f.path));
        await rename(tmp, f.path);
        temps.push(backup);
      } else {
        await link(tmp, f.path);
        undo.push(() => rm(f.path, { force: true }));
      }
    }
  } catch (e) {
    for (const step of undo.reverse()) await step().catch(() => {});
    for (const t of temps) await rm(t, { force: true }).catch(() => {});
    // Deepest first: a directory made for one file can sit inside one made for another.
    for (const d of madeDirs.sort().reverse()) await removeEmptyTree(d);
    if (e instanceof TraceForgeError) throw e;
    throw new TraceForgeError('E_GEN', `could not write the generated files (nothing was written): ${(e as Error).message}`, { cause: e });
  }
  for (const t of temps) await rm(t, { force: true });
}

/** Remove `dir` and the empty directories under it; stop at anything that holds a file. */
async function removeEmptyTree(dir: string): Promise<void> {
  try {
    for (const name of await readdir(dir)) await removeEmptyTree(join(dir, name));
    await rmdir(dir);
  } catch {
    // Not a directory, or not empty: leave it.
  }
}
