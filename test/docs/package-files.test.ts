/**
 * What `npm pack` puts in the tarball the README tells people to install: the built code, the templates,
 * the README and the license text at the root (copied from docs/LICENSE by prepack: the repository's top
 * level is fixed), and nothing of the tests, sources or benches.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const npm = (...args: string[]) => execFileSync('npm', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

it('packs the license, README, built code and templates, and nothing else', () => {
  npm('run', 'prepack');
  let files: string[];
  try {
    // The build itself is what `npm test` ran: only the file list is wanted here.
    const [pack] = JSON.parse(npm('pack', '--dry-run', '--json', '--ignore-scripts')) as Array<{ files: Array<{ path: string }> }>;
    files = pack!.files.map((f) => f.path);
  } finally {
    npm('run', 'postpack');
  }
  expect(existsSync(join(ROOT, 'LICENSE'))).toBe(false);
  for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/cli/bin.js', 'dist/vitest.js', 'dist/jest.js', 'dist/node-test.js']) expect(files, f).toContain(f);
  expect(files.some((f) => f.startsWith('templates/'))).toBe(true);
  expect(files.filter((f) => /^(src|test|fixtures|docs|dist\/bench)\//.test(f) || f.endsWith('.map'))).toEqual([]);
});
