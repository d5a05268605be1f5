/** A request that matches no recording fails the test with E_REPLAY_MISS, its explanation attached as data. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cassetteHooks } from '../../src/cassette-hooks.js';
import { isTraceForgeError } from '../../src/errors.js';
import { writeCassette } from '../../src/store/cassette-file.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';

describe('useCassette failures', () => {
  it('a miss is a TraceForgeError E_REPLAY_MISS carrying the miss explanations', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tf-miss-'));
    const path = join(dir, 'c.yaml');
    await writeCassette(path, { version: 2, interactions: [makeOpenAIStreamTrace({ id: 'aaaa00000001', messages: [{ role: 'user', content: 'hi' }] })] });
    const hooks = cassetteHooks(path, { mode: 'none', intercept: false, speed: 0 }, () => undefined);
    await hooks.open();
    try {
      const res = await fetch(`${hooks.handle.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hello?' }] }),
      });
      expect(res.status).toBe(404);
      await res.text();
      let thrown: unknown;
      try {
        hooks.check();
      } catch (e) {
        thrown = e;
      }
      expect(isTraceForgeError(thrown)).toBe(true);
      const e = thrown as { code: string; message: string; detail: { misses: Array<{ message: string }> } };
      expect(e.code).toBe('E_REPLAY_MISS');
      expect(e.message).toMatch(/1 request\(s\) matched no recording/);
      expect(e.detail.misses).toHaveLength(1);
      expect(e.detail.misses[0]!.message).toMatch(/recorded "hi", received "hello\?"/);
      // Reported once: the next check has nothing new.
      expect(() => hooks.check()).not.toThrow();
    } finally {
      await hooks.close();
    }
  });
});
