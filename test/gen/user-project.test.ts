import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordTraces, type RecordedTraces } from './record-traces.js';
import { userLockfile, type Lockfile } from './user-lockfile.js';
import { REPO, run } from './vitest-runner.js';

/**
 * A real user's setup: a project outside this repo that installs the packed package next to vitest
 * and the openai SDK, records, runs `npx traceforge gen` and `npx vitest run`. The install is
 * `npm ci --offline` from a lockfile cut from ours, so it needs only the tarballs that `npm ci` in
 * this repo left in the npm cache and never the registry. TRACEFORGE_SKIP_PACK_TEST=1 skips it.
 */
const skip = process.env.TRACEFORGE_SKIP_PACK_TEST === '1';
const SLOW = 180_000;

let project: string;
let traces: RecordedTraces;

beforeAll(async () => {
  if (skip) return;
  project = await mkdtemp(join(tmpdir(), 'tf-user-project-'));
  const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], REPO);
  if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.output}`);
  const [{ filename, integrity }] = JSON.parse(pack.stdout) as Array<{ filename: string; integrity: string }>;
  const ours = JSON.parse(await readFile(join(REPO, 'package-lock.json'), 'utf8')) as Lockfile;
  const manifest = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as Parameters<typeof userLockfile>[2]['manifest'];
  const registry = process.env.npm_config_registry || undefined;
  const { lock, devDependencies } = userLockfile(ours, 'user-app', { name: 'traceforge', tarball: `file:${filename}`, integrity, manifest }, ['openai', 'vitest'], registry);
  await writeFile(join(project, 'package.json'), `${JSON.stringify({ name: 'user-app', private: true, type: 'module', devDependencies }, null, 2)}\n`);
  await writeFile(join(project, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  const install = await run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], project);
  if (install.code !== 0) {
    throw new Error(`npm ci --offline failed: run \`npm ci\` in the repo first so the npm cache holds the packages (or set TRACEFORGE_SKIP_PACK_TEST=1)\n${install.output}`);
  }
  traces = await recordTraces(join(project, '.ai-tests', 'traces'));
}, SLOW);
afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe.skipIf(skip)('in a project that installed the packed traceforge', () => {
  it('npx traceforge gen, then npx vitest run passes', async () => {
    // Recorded timing is covered in generated-tests; here every check is deterministic.
    for (const trace of [traces.chat, traces.tools, traces.responses]) {
      const gen = await run('npx', ['--offline', 'traceforge', 'gen', trace.id], project);
      expect(gen.output).toMatch(/^wrote test\/.+\.test\.ts/m);
      expect(gen.code).toBe(0);
    }
    // The generated file imports the package by name, as any user's test would.
    expect(await readFile(join(project, 'test/what-is-the-capital-of-france.test.ts'), 'utf8')).toContain("from 'traceforge/vitest'");

    const vitest = await run('npx', ['--offline', 'vitest', 'run'], project);
    expect(vitest.output).toMatch(/Tests\s+3 passed \(3\)/);
    expect(vitest.code).toBe(0);
  }, SLOW);
});
