/**
 * `vitest --no-isolate` runs every test file in one process: a cassette a file opened and never closed kept
 * answering the calls of the files after it. Opening a cassette in another file (useCassette, the setup file,
 * openCassette) now closes it first, with a one-line note.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendToCassette } from '../../src/store/cassette-file.js';
import { REPO, run } from '../gen/vitest-runner.js';
import { GOOD_TRACE } from '../hostile/servers.js';

const WORK = join(REPO, '.tmp', `no-isolate-${process.pid}`);
const CALL = `fetch('http://llm.invalid${GOOD_TRACE.http.url}', { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(JSON.stringify(GOOD_TRACE.request))} })`;

const FILES: Record<string, string> = {
  // One process, files in name order.
  'vitest.config.mjs': `export default { test: { include: ['*.spec.ts'], isolate: false, fileParallelism: false,
  sequence: { sequencer: class { async shard(f) { return f; } async sort(f) { return [...f].sort((a, b) => a.moduleId.localeCompare(b.moduleId)); } } } } };
`,
  'a.spec.ts': `
import { beforeAll, expect, it } from 'vitest';
import { openCassette } from 'traceforge';
// Opened and never closed.
beforeAll(async () => { await openCassette('a.yaml', { intercept: { hosts: ['llm.invalid'] } }); });
it('is served from a.yaml', async () => expect((await ${CALL}).status).toBe(200));
`,
  'b.spec.ts': `
import { it } from 'vitest';
import { useCassette } from 'traceforge/vitest';
useCassette('b.yaml', { missing: 'empty' });
it('opens a cassette of its own', () => {});
`,
  'c.spec.ts': `
import { expect, it } from 'vitest';
// No cassette here: llm.invalid does not resolve, so the call fails, unless a.yaml still answers it.
it('is not served from a.yaml', async () => { await expect(${CALL}).rejects.toThrow(); });
`,
};

describe('vitest --no-isolate', () => {
  beforeAll(async () => {
    await rm(WORK, { recursive: true, force: true });
    await mkdir(WORK, { recursive: true });
    for (const [name, text] of Object.entries(FILES)) await writeFile(join(WORK, name), text);
    await appendToCassette(join(WORK, 'a.yaml'), [GOOD_TRACE]);
  });
  afterAll(() => rm(WORK, { recursive: true, force: true }));

  it('a cassette left open by one file is closed when the next opens one, with one line saying so', async () => {
    const r = await run(process.execPath, [join(REPO, 'node_modules/vitest/vitest.mjs'), 'run', '--root', WORK], WORK, { CI: 'true' });
    expect(r.output).toContain('3 passed');
    expect(r.code, r.output).toBe(0);
    const notes = r.output.split('\n').filter((l) => l.includes('was still open when'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/traceforge: cassette a\.yaml, opened in \S*a\.spec\.ts, was still open when \S*b\.spec\.ts opened a cassette .*close what openCassette\(\) opens in afterAll/);
  }, 60_000);
});
