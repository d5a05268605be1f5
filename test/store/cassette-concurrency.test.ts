import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCassette } from '../../src/cassette/codec.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';

const STORE = pathToFileURL(resolve(import.meta.dirname, '../../dist/store/cassette-file.js')).href;

/** A real OS process that appends `count` interactions, one call each, as a `record` process would. */
const WRITER = `
const { appendToCassette } = await import(process.env.TF_STORE);
const template = JSON.parse(process.env.TF_TRACE);
const [path, who, count] = process.argv.slice(1);
for (let i = 0; i < Number(count); i++) {
  await appendToCassette(path, [{ ...template, id: who + '-' + i }]);
}
`;

function writer(path: string, who: string, count: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER, path, who, String(count)], {
      env: { ...process.env, TF_STORE: STORE, TF_TRACE: JSON.stringify(makeOpenAIStreamTrace()) },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => done({ code, stderr }));
  });
}

describe('several processes appending to one cassette', () => {
  it('lose nothing and leave a valid file with no lock or temp files behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tf-cassette-race-'));
    const path = join(dir, 'nested', 'shared.yaml');
    const PROCESSES = 5;
    const EACH = 6;
    const results = await Promise.all(Array.from({ length: PROCESSES }, (_, p) => writer(path, `p${p}`, EACH)));
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });
    const cassette = parseCassette(await readFile(path, 'utf8'), path);
    const ids = cassette.interactions.map((t) => t.id);
    expect(ids).toHaveLength(PROCESSES * EACH);
    expect(new Set(ids)).toEqual(new Set(Array.from({ length: PROCESSES }, (_, p) => Array.from({ length: EACH }, (_, i) => `p${p}-${i}`)).flat()));
    // Each process's own interactions stay in the order it appended them.
    for (let p = 0; p < PROCESSES; p++) {
      const mine = ids.filter((id) => id.startsWith(`p${p}-`));
      expect(mine).toEqual(Array.from({ length: EACH }, (_, i) => `p${p}-${i}`));
    }
    expect(await readdir(join(dir, 'nested'))).toEqual(['shared.yaml']);
  }, 60_000);
});
