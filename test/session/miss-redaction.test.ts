import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyCassette } from '../../src/cassette/codec.js';
import { openCassette } from '../../src/session.js';
import { writeCassette } from '../../src/store/cassette-file.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';

describe('a replay miss explained by openCassette shows no secret of the received request', () => {
  it("the user's own redaction rules and a value sent only in a header are hidden in session.misses and the 404 body", async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'tf-miss-')), 'c.yaml');
    const recorded = makeOpenAIStreamTrace({ id: 'aaaaaaaaaaaa', messages: [{ role: 'user', content: 'hi' }] });
    await writeCassette(path, { ...emptyCassette(), interactions: [recorded] });
    const session = await openCassette(path, { mode: 'none', env: { CI: '' }, speed: 0, redact: { bodyFields: ['session_id'] } });
    try {
      const token = 'corp-token-7f3a9c1e5b';
      const res = await fetch(`${session.url}${recorded.endpoint}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': token },
        body: JSON.stringify({ ...(recorded.request as object), session_id: 'sess-0a1b2c3d4e', messages: [{ role: 'user', content: `my key is ${token}` }] }),
      });
      expect(res.status).toBe(404);
      const body = await res.text();
      const shown = `${body}\n${JSON.stringify(session.misses)}`;
      expect(session.misses).toHaveLength(1);
      for (const secret of [token, 'sess-0a1b2c3d4e']) expect(shown).not.toContain(secret);
      expect(shown).toContain('[REDACTED]');
    } finally {
      await session.close();
    }
  });
});
