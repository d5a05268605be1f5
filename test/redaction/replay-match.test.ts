import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCassette } from '../../src/session.js';
import { loadCassette } from '../../src/store/cassette-file.js';
import { openaiChatStream, splitTokens, startFakeUpstream, type FakeUpstream } from '../fakes/index.js';

/**
 * A recording keeps `[REDACTED]` where the request had a secret, while the app under test sends the real
 * value (or another one, in CI): replay must still find the recording, and a miss must not blame the secret.
 */
const RECORDED = { apiKey: 'sk-rec-0123456789abcdefghij', field: 'body-secret-AAAA-1111', internal: 'internal-token-BBBB-2222', session: 'sess-CCCC-3333-xyz' };
const LATER = { apiKey: 'sk-ci-zyxwvutsrqponmlkjihg', field: 'other-secret-DDDD-4444', internal: 'another-token-EEEE-5555', session: 'sess-FFFF-6666-abc' };

async function ask(url: string, s: typeof RECORDED, content = 'Say hi'): Promise<string> {
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: s.apiKey, maxRetries: 0, defaultHeaders: { 'x-internal-token': s.internal } });
  // Extra body fields go to the wire as they are: a credential field and a user-named one.
  const params = { model: 'gpt-4o-mini', stream: true as const, messages: [{ role: 'user' as const, content }], api_key: s.field, metadata: { session_ref: s.session } };
  let text = '';
  for await (const c of await client.chat.completions.create(params as OpenAI.ChatCompletionCreateParamsStreaming)) text += c.choices[0]?.delta?.content ?? '';
  return text;
}

describe('replaying a redacted recording', () => {
  let upstream: FakeUpstream;
  let path: string;
  const env = { CI: '' } as NodeJS.ProcessEnv;
  const redact = { headers: ['x-internal-token'], bodyFields: ['session_ref'] };

  beforeAll(async () => {
    path = join(await mkdtemp(join(tmpdir(), 'tf-redact-replay-')), 'chat.yaml');
    upstream = await startFakeUpstream(openaiChatStream({ text: splitTokens('Hello there'), gaps: 1 }));
    const rec = await openCassette(path, { mode: 'once', upstream: upstream.url, env, redact });
    expect(await ask(rec.url, RECORDED)).toBe('Hello there');
    await rec.close();
  });
  afterAll(() => upstream.close());

  it('writes no secret, and marks where each one was', async () => {
    const text = await readFile(path, 'utf8');
    for (const s of Object.values(RECORDED)) expect(text).not.toContain(s);
    const [t] = (await loadCassette(path)).interactions;
    expect(t!.request).toMatchObject({ api_key: '[REDACTED]', metadata: { session_ref: '[REDACTED]' } });
    expect(t!.http.request_headers).toMatchObject({ authorization: '[REDACTED]', 'x-internal-token': '[REDACTED]' });
    // The upstream got the real values.
    expect(upstream.requests[0]!.headers['x-internal-token']).toBe(RECORDED.internal);
    expect(JSON.parse(upstream.requests[0]!.body)).toMatchObject({ api_key: RECORDED.field });
  });

  it('serves it to a request that carries other secret values', async () => {
    const before = upstream.requests.length;
    const replay = await openCassette(path, { mode: 'none', env, speed: 0 });
    try {
      expect(await ask(replay.url, LATER)).toBe('Hello there');
      expect(replay.misses).toEqual([]);
    } finally {
      await replay.close();
    }
    expect(upstream.requests.length).toBe(before);
  });

  it('a real difference is still a miss, and the explanation names it, not the redacted fields', async () => {
    const replay = await openCassette(path, { mode: 'none', env, speed: 0 });
    try {
      await expect(ask(replay.url, LATER, 'Say bye')).rejects.toThrow();
      expect(replay.misses).toHaveLength(1);
      const miss = replay.misses[0]!;
      expect(miss.closest?.differences.map((d) => d.field)).toEqual(['body.messages[0].content']);
      expect(miss.message).toContain('[REDACTED] values (secrets removed when it was recorded) match any value');
      expect(miss.message).not.toContain('api_key');
    } finally {
      await replay.close();
    }
  });
});
