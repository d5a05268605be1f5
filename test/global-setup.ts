/**
 * The bin smoke tests (test/cli/bin.test.ts) and some other folders spawn dist/cli/bin.js, as a user
 * runs it; CLI behaviour tests call main() in-process against src/. `npm test` builds first; a direct
 * `npx vitest run` after an edit would otherwise spawn stale JavaScript. So: build when dist is missing
 * or older than any file under src/.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'dist', 'cli', 'bin.js');

function newest(dir: string): number {
  let latest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    latest = Math.max(latest, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return latest;
}

export default function setup(): void {
  let built = 0;
  try {
    built = statSync(BIN).mtimeMs;
  } catch {
    // not built yet
  }
  if (built >= newest(join(ROOT, 'src'))) return;
  process.stderr.write('traceforge tests: dist/ is missing or older than src/, building it (npm run build)\n');
  try {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  } catch {
    // tsc still writes JavaScript when it finds type errors; the typecheck reports those, the tests run what was built.
    process.stderr.write('traceforge tests: the build reported errors (see above); CLI tests run what it wrote\n');
  }
}
