/**
 * TRACEFORGE_SWEEP reaches only the session of the cassette it names, however the path is spelled: that
 * session takes the fault and the clock and tells the sweep it opened; any other cassette replays untouched.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCassette } from '../../src/cassette/codec.js';
import { openCassette } from '../../src/session.js';
import { writeCassette } from '../../src/store/cassette-file.js';
import { cassetteIdentity } from '../../src/sweep/env.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';

const hi = makeOpenAIStreamTrace({ id: 'aaaaaaaaaaaa', text: 'hello there', messages: [{ role: 'user', content: 'hi' }], gaps: [0, 1, 1, 1, 1, 1] });

let dir: string;
let swept: string;
let other: string;
let seen: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tf-sweep-env-'));
  swept = join(dir, 'fixtures', 'chat.yaml');
  other = join(dir, 'fixtures', 'other.yaml');
  for (const p of [swept, other]) await writeCassette(p, { ...emptyCassette(), interactions: [hi] });
  await symlink(join(dir, 'fixtures'), join(dir, 'linked'));
  seen = join(dir, 'seen');
  await mkdir(seen);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The body a client gets from a session on `path`, or the error that cut it. */
async function answer(path: string, env: NodeJS.ProcessEnv): Promise<string> {
  const session = await openCassette(path, { mode: 'none', env, speed: 0 });
  try {
    const r = await fetch(`${session.url}${hi.endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hi.request) });
    return await r.text().catch((e: Error) => `cut: ${e.message}`);
  } finally {
    await session.close();
  }
}

describe('TRACEFORGE_SWEEP', () => {
  it('faults the named cassette, by any spelling of its path, and no other; the session says it opened', async () => {
    const env = { CI: '', TRACEFORGE_SWEEP: JSON.stringify({ cassette: cassetteIdentity(swept), fault: 'drop-after=0@1', seen }) } as NodeJS.ProcessEnv;
    const whole = await answer(other, env);
    expect(whole).toContain('[DONE]');
    expect(await readdir(seen)).toEqual([]);
    for (const spelling of [swept, relative(process.cwd(), swept), join(dir, 'linked', 'chat.yaml')]) {
      expect(await answer(spelling, env), spelling).not.toContain('[DONE]');
    }
    const marks = await readdir(seen);
    expect(marks).toHaveLength(3);
    expect(JSON.parse(await readFile(join(seen, marks[0]!), 'utf8'))).toEqual({ clock: 'wall' });
  });

  it('a value that is not the JSON a sweep sets is refused in one line naming the variable', async () => {
    await expect(openCassette(other, { mode: 'none', env: { CI: '', TRACEFORGE_SWEEP: 'drop-after=3' } })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: expect.stringMatching(/^TRACEFORGE_SWEEP is "drop-after=3", not the JSON `traceforge sweep` sets/),
    });
  });
});
