import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from './blocks.js';

/**
 * A user project in a temp directory where `traceforge` is this repo (its built dist/, through the
 * package's own `exports`) and every other package is the repo's copy: one symlink per top-level entry
 * of node_modules, so nothing is installed and nothing in the repo is written.
 */
export interface Workspace {
  dir: string;
  /** node_modules/.bin of the workspace: `traceforge`, `vitest`, `tsc`... */
  bin: string;
  write(path: string, text: string): string;
  /** Another project directory sharing the same node_modules. */
  project(name: string): string;
  cleanup(): void;
}

export function createWorkspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'tf-docs-'));
  const modules = join(dir, 'node_modules');
  const bin = join(modules, '.bin');
  mkdirSync(bin, { recursive: true });
  const repoModules = join(ROOT, 'node_modules');
  for (const e of readdirSync(repoModules)) {
    if (e === '.bin' || e === 'traceforge') continue;
    symlinkSync(join(repoModules, e), join(modules, e));
  }
  for (const e of readdirSync(join(repoModules, '.bin'))) symlinkSync(join(repoModules, '.bin', e), join(bin, e));
  symlinkSync(ROOT, join(modules, 'traceforge'));
  symlinkSync(join(ROOT, 'dist', 'cli', 'bin.js'), join(bin, 'traceforge'));

  const project = (name: string): string => {
    const p = join(dir, name);
    mkdirSync(p, { recursive: true });
    writeFileSync(join(p, 'package.json'), JSON.stringify({ name: `docs-${name}`, private: true, type: 'module' }, null, 2));
    // Nested projects find node_modules by walking up to `dir`.
    return p;
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'docs-workspace', private: true, type: 'module' }, null, 2));
  return {
    dir,
    bin,
    project,
    write(path, text) {
      const p = join(dir, path);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
