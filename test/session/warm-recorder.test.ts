import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openCassette } from '../../src/session.js';
import { openaiChatStream, startFakeUpstream } from '../fakes/index.js';

// Worker threads of this process, as Node's diagnostic report lists them.
const threads = (): number => (process.report.getReport() as unknown as { workers: unknown[] }).workers.length;

/** Waits until `ok()` holds, for up to 20 s (a thread starting at load 8); false if it never did. */
async function until(ok: () => boolean): Promise<boolean> {
  for (const end = Date.now() + 20_000; Date.now() < end; await new Promise((r) => setTimeout(r, 10))) if (ok()) return true;
  return ok();
}

const dir = await mkdtemp(join(tmpdir(), 'tf-warm-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

it('when every cassette of the run records, loading the integration starts the recorder thread ahead and the first session takes it', async () => {
  const upstream = await startFakeUpstream(openaiChatStream({ text: 'warm' }));
  const before = threads();
  process.env.TRACEFORGE_RECORD = 'all';
  try {
    // What `import { useCassette } from 'traceforge/vitest'` loads (its hooks need a test file, not this test).
    await import('../../src/cassette-hooks.js');
  } finally {
    delete process.env.TRACEFORGE_RECORD;
  }
  // A thread is listed once it is running.
  expect(await until(() => threads() === before + 1)).toBe(true);
  const session = await openCassette(join(dir, 'warm.yaml'), { mode: 'all', upstream: upstream.url, traces: false, env: {} });
  // The replay thread and the recorder's: the one started ahead, not a second one.
  expect(threads()).toBe(before + 2);
  const res = await fetch(`${session.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }) });
  expect(await res.text()).toContain('warm');
  await session.close();
  expect(session.recorded).toHaveLength(1);
  expect(await until(() => threads() === before)).toBe(true);
  await upstream.close();
}, 60_000);
