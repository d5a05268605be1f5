import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRecordMode } from '../../src/record-mode.js';
import { openCassette } from '../../src/session.js';
import { loadCassette } from '../../src/store/cassette-file.js';
import { openaiChatStream, splitTokens, startFakeUpstream, type FakeUpstream } from '../fakes/index.js';

async function ask(url: string, content: string): Promise<string> {
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'sk-test-not-a-real-key-000000', maxRetries: 0 });
  let text = '';
  for await (const c of await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content }] })) text += c.choices[0]?.delta?.content ?? '';
  return text;
}

describe('record modes', () => {
  let upstream: FakeUpstream;
  let dir: string;
  const env = { CI: '' } as NodeJS.ProcessEnv;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tf-modes-'));
    upstream = await startFakeUpstream((req) => {
      const q = (req.json as { messages: Array<{ content: string }> }).messages[0]!.content;
      return openaiChatStream({ text: splitTokens(`answer to ${q}`), gaps: 1 });
    });
  });
  afterAll(() => upstream.close());

  it('resolves the mode from the option, then TRACEFORGE_RECORD, then CI', () => {
    expect(resolveRecordMode(undefined, { CI: 'true' })).toBe('none');
    expect(resolveRecordMode(undefined, {})).toBe('once');
    expect(resolveRecordMode(undefined, { CI: 'true', TRACEFORGE_RECORD: 'all' })).toBe('all');
    expect(resolveRecordMode('new_episodes', { TRACEFORGE_RECORD: 'all' })).toBe('new_episodes');
    expect(() => resolveRecordMode(undefined, { TRACEFORGE_RECORD: 'sometimes' })).toThrow(/"sometimes" is not one of none, once, new_episodes, all \(from TRACEFORGE_RECORD\)/);
  });

  it('inside `traceforge record --cassette F --mode all -- cmd`, F is re-recorded, other cassettes record what they lack', () => {
    const env = { TRACEFORGE_PROXY_URL: 'http://127.0.0.1:9', TRACEFORGE_CASSETTE: join(dir, 'suite.yaml'), TRACEFORGE_CASSETTE_MODE: 'all' };
    expect(resolveRecordMode(undefined, env, join(dir, 'suite.yaml'))).toBe('all');
    expect(resolveRecordMode(undefined, env, join(dir, 'other.yaml'))).toBe('new_episodes');
    expect(resolveRecordMode(undefined, { ...env, TRACEFORGE_RECORD: 'none' }, join(dir, 'suite.yaml'))).toBe('none');
    expect(resolveRecordMode('once', env, join(dir, 'suite.yaml'))).toBe('once');
  });

  it('none never touches the network and refuses a missing cassette: it says the file does not exist, where it looked, and how to record it', async () => {
    const missing = join(dir, 'missing.yaml');
    const e = await openCassette(missing, { env: { CI: 'true' }, upstream: upstream.url }).catch((x: Error) => x);
    expect((e as { code?: string }).code).toBe('E_CASSETTE_NOT_FOUND');
    expect((e as Error).message).toContain(`does not exist (looked for ${missing}); record mode is "none" (CI is set), which never records`);
    expect((e as Error).message).toContain('TRACEFORGE_RECORD=once npx vitest run');
    expect((e as Error).message).toContain('TRACEFORGE_UPSTREAM=URL');
    const byEnv = await openCassette(missing, { env: { TRACEFORGE_RECORD: 'none' } }).catch((x: Error) => x);
    expect((byEnv as Error).message).toContain('record mode is "none" (TRACEFORGE_RECORD)');
  });

  it('once records a missing cassette, then replays it without the upstream', async () => {
    const path = join(dir, 'once.yaml');
    const s1 = await openCassette(path, { mode: 'once', upstream: upstream.url, env });
    expect(await ask(s1.url, 'one')).toBe('answer to one');
    await s1.close();
    const before = upstream.requests.length;
    const s2 = await openCassette(path, { mode: 'once', env, speed: 0 });
    expect(await ask(s2.url, 'one')).toBe('answer to one');
    await expect(ask(s2.url, 'two')).rejects.toThrow(/No recorded interaction matches POST \/v1\/chat\/completions/);
    expect(s2.misses).toHaveLength(1);
    await s2.close();
    expect(upstream.requests.length).toBe(before);
  });

  it('new_episodes replays what matches and appends what does not', async () => {
    const path = join(dir, 'episodes.yaml');
    const s1 = await openCassette(path, { mode: 'once', upstream: upstream.url, env });
    await ask(s1.url, 'a');
    await s1.close();
    const s2 = await openCassette(path, { mode: 'new_episodes', upstream: upstream.url, env, speed: 0 });
    const before = upstream.requests.length;
    expect(await ask(s2.url, 'a')).toBe('answer to a');
    expect(upstream.requests.length).toBe(before);
    expect(await ask(s2.url, 'b')).toBe('answer to b');
    expect(upstream.requests.length).toBe(before + 1);
    await s2.close();
    expect((await loadCassette(path)).interactions.map((t) => (t.request as { messages: Array<{ content: string }> }).messages[0]!.content)).toEqual(['a', 'b']);
  });

  it('all re-records and replaces the cassette', async () => {
    const path = join(dir, 'all.yaml');
    const s1 = await openCassette(path, { mode: 'once', upstream: upstream.url, env });
    await ask(s1.url, 'old');
    await s1.close();
    const s2 = await openCassette(path, { mode: 'all', upstream: upstream.url, env });
    await ask(s2.url, 'new');
    await s2.close();
    const c = await loadCassette(path);
    expect(c.interactions).toHaveLength(1);
    expect((c.interactions[0]!.request as { messages: Array<{ content: string }> }).messages[0]!.content).toBe('new');
  });

  it('a recording mode without an upstream sends a call to the provider its path names (no upstream needed)', async () => {
    // Nothing is reachable here, so the provider's real host cannot answer: what counts is where the recorder sent it.
    const s = await openCassette(join(dir, 'x.yaml'), { mode: 'new_episodes', env });
    try {
      const rec = s.recorded;
      await ask(s.url, 'routed').catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
      expect(rec.map((t) => t.metadata?.upstream ?? '')).toEqual([expect.stringContaining('api.openai.com')]);
    } finally {
      await s.close();
    }
  });
});
