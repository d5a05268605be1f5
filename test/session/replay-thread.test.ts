/**
 * openCassette's replay server runs on a worker thread: what the test's thread still reads from it
 * (misses, warnings, lateness) and what crosses over (the cassette path, faults, match options).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { emptyCassette } from '../../src/cassette/codec.js';
import { openCassette } from '../../src/session.js';
import { writeCassette } from '../../src/store/cassette-file.js';
import type { Trace } from '../../src/trace/types.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';

const hi = makeOpenAIStreamTrace({ id: 'aaaaaaaaaaaa', text: 'hello there', messages: [{ role: 'user', content: 'hi' }], gaps: [0, 1, 1, 1, 1, 1] });
const bye = makeOpenAIStreamTrace({ id: 'bbbbbbbbbbbb', text: 'see you', messages: [{ role: 'user', content: 'bye' }], gaps: [0, 1, 1, 1, 1] });
const env = { CI: '' } as NodeJS.ProcessEnv;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tf-rthread-'));
});

async function cassetteOf(name: string, traces: Trace[]): Promise<string> {
  const path = join(dir, name);
  await writeCassette(path, { ...emptyCassette(), interactions: traces });
  return path;
}

const post = (url: string, t: Trace, request: unknown = t.request) =>
  fetch(`${url}${t.endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });

describe('openCassette on a replay thread', () => {
  it('a miss is in session.misses as soon as the client has its 404, even while this thread never yielded', async () => {
    const path = await cassetteOf('miss.yaml', [hi]);
    const session = await openCassette(path, { mode: 'none', env, speed: 0 });
    try {
      // A client in another process, waited for synchronously: this thread handles no event in between,
      // so the miss can only be there if reading `misses` takes it from the replay thread there and then.
      const body = JSON.stringify({ ...(hi.request as object), messages: [{ role: 'user', content: 'hello?' }] });
      const script = `fetch(process.argv[1], { method: 'POST', headers: { 'content-type': 'application/json' }, body: process.argv[2] }).then(async (r) => process.stdout.write(r.status + ' ' + (await r.text())))`;
      const client = spawnSync(process.execPath, ['-e', script, `${session.url}${hi.endpoint}`, body], { encoding: 'utf8' });
      expect(client.stdout).toMatch(/^404 .*traceforge_replay_miss/);
      expect(session.misses).toHaveLength(1);
      expect(session.misses[0]!.message).toContain('body.messages[0].content: recorded "hi", received "hello?"');
    } finally {
      await session.close();
    }
    // Still readable after close.
    expect(session.misses).toHaveLength(1);
  });

  it('the SDK gets the explanation and the session keeps every miss in order', async () => {
    const path = await cassetteOf('misses.yaml', [hi]);
    const session = await openCassette(path, { mode: 'none', env, speed: 0 });
    try {
      const client = new OpenAI({ baseURL: `${session.url}/v1`, apiKey: 'test', maxRetries: 0 });
      for (const content of ['one', 'two']) {
        await expect(client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content }] })).rejects.toThrow(/No recorded interaction matches/);
      }
      expect(session.misses.map((m) => (m.request.body as { messages: Array<{ content: string }> }).messages[0]!.content)).toEqual(['one', 'two']);
    } finally {
      await session.close();
    }
  });

  it('match options and Fault objects cross to the replay thread', async () => {
    const path = await cassetteOf('opts.yaml', [hi]);
    const session = await openCassette(path, {
      mode: 'none',
      env,
      speed: 0,
      match: { ignoreBodyFields: ['user'], repeat: 'none' },
      faults: [{ kind: 'status', status: 429, retryAfter: '1', request: 1 }],
    });
    try {
      expect((await post(session.url, hi)).status).toBe(429);
      const ok = await post(session.url, hi, { ...(hi.request as object), user: 'someone' });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('hello');
      // repeat: 'none' made it through: the one recording is used up.
      expect((await post(session.url, hi)).status).toBe(404);
      expect(session.misses).toHaveLength(1);
    } finally {
      await session.close();
    }
  });

  it('a bad fault or speed fails at openCassette with its usual message', async () => {
    const path = await cassetteOf('bad.yaml', [hi]);
    await expect(openCassette(path, { mode: 'none', env, faults: ['drop-after=x'] })).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringMatching(/fault "drop-after=x"/) });
    await expect(openCassette(path, { mode: 'none', env, speed: -1 })).rejects.toMatchObject({ code: 'E_USAGE' });
  });

  it('an invalid cassette fails with the error the replay thread met, code and all', async () => {
    const path = join(dir, 'invalid.yaml');
    // A problem in the header: one inside an interaction only skips that one (a warning).
    await writeFile(path, 'version: nine\n---\n[not, an, interaction\n...\n');
    await expect(openCassette(path, { mode: 'none', env })).rejects.toMatchObject({ code: 'E_CASSETTE_INVALID' });
  });

  it('reports a cut-off last interaction in session.warnings and serves the rest', async () => {
    const path = await cassetteOf('cut.yaml', [hi, bye]);
    const size = (await readFile(path)).length;
    await truncate(path, size - 40);
    const session = await openCassette(path, { mode: 'none', env, speed: 0 });
    try {
      expect(session.warnings).toHaveLength(1);
      expect(session.warnings[0]).toMatch(/cut off|incomplete|skipped/i);
      expect((await post(session.url, hi)).status).toBe(200);
      expect((await post(session.url, bye)).status).toBe(404);
    } finally {
      await session.close();
    }
  });

  it('lateness() is read from the replay thread after the calls, with no round trip', async () => {
    const path = await cassetteOf('late.yaml', [hi]);
    const session = await openCassette(path, { mode: 'none', env, speed: 1 });
    try {
      expect(session.lateness()).toEqual({ count: 0, p50: 0, p99: 0, max: 0 });
      await (await post(session.url, hi)).text();
      await (await post(session.url, hi)).text();
      const late = session.lateness();
      expect(late.count).toBe(2 * hi.chunks!.length);
      expect(late.max).toBeGreaterThanOrEqual(late.p99);
      expect(late.p99).toBeGreaterThanOrEqual(late.p50);
    } finally {
      await session.close();
    }
    expect(session.lateness().count).toBe(2 * hi.chunks!.length);
  });
});
