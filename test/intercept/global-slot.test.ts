/**
 * Interception must not leave undici 7 under the process's fetch: in a fresh process, opening and
 * closing an intercepting session puts back Node's own dispatcher, not an undici 7 Agent that merely
 * importing npm undici into an empty slot would install.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

it('a fresh process keeps Node\'s own fetch dispatcher after an intercepting session', async () => {
  const dir = join(ROOT, '.tmp', `global-slot-${process.pid}`);
  await mkdir(dir, { recursive: true });
  const script = join(dir, 'slot.mjs');
  await writeFile(
    script,
    `const sym = Symbol.for('undici.globalDispatcher.1');
const { openCassette } = await import(${JSON.stringify(join(ROOT, 'dist/index.js'))});
const s = await openCassette(${JSON.stringify(join(dir, 'none.yaml'))}, { mode: 'none', intercept: true, env: {}, missing: 'empty' });
const during = globalThis[sym].constructor.name;
await s.close();
const u = await import('undici');
console.log(JSON.stringify({ during, undici7: globalThis[sym] instanceof u.Agent, after: globalThis[sym].constructor.name }));
`,
  );
  const { stdout } = await run(process.execPath, [script], { cwd: dir }).finally(() => rm(dir, { recursive: true, force: true }));
  expect(JSON.parse(stdout)).toEqual({ during: 'InterceptingDispatcher', undici7: false, after: 'Agent' });
});
