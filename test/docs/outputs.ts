import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { where, type DocBlock } from './blocks.js';
import { mask } from './run.js';
import { cassetteHooks } from '../../src/cassette-hooks.js';
import { generateFromTrace } from '../../src/gen/index.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';

/**
 * docs/testing.md shows what a test sees when its request matches no recording. Produced for real: the
 * formats.md cassette served as `fixtures/chat.yaml` the way `useCassette` serves it, a request that differs,
 * then the check `useCassette` runs after each test. The app's 404 says the same (`traceforge_replay_miss`).
 */
export async function checkMissExplanation(b: DocBlock, cassette: DocBlock, dir: string): Promise<void> {
  const path = join(dir, 'fixtures', 'chat.yaml');
  mkdirSync(join(dir, 'fixtures'), { recursive: true });
  writeFileSync(path, cassette.code);
  const hooks = cassetteHooks(path, { mode: 'none', intercept: false, speed: 0, traces: false }, () => undefined);
  await hooks.open();
  try {
    const res = await fetch(`${hooks.handle.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hello?' }] }),
    });
    expect(res.status, where(b)).toBe(404);
    expect(((await res.json()) as { error?: { type?: string } }).error?.type, where(b)).toBe('traceforge_replay_miss');
    let message = '';
    try {
      hooks.check();
    } catch (e) {
      message = (e as Error).message.replaceAll(path, 'fixtures/chat.yaml');
    }
    // The doc wraps the long line: compare the words.
    expect(mask(message), `${where(b)}: the real message differs:\n${message}`).toBe(mask(b.code));
  } finally {
    await hooks.close();
  }
}

/** A template shown in docs/gen.md, installed where the page says: `gen` picks it for its providers and renders it. */
export async function checkTemplate(b: DocBlock, dir: string): Promise<void> {
  const providers = /providers:\s*([\w\s-]+?)\s*$/m.exec(b.code)?.[1]?.split(/\s+/) ?? [];
  expect(providers.length, `${where(b)}: the template names no providers`).toBeGreaterThan(0);
  mkdirSync(join(dir, '.ai-tests', 'templates'), { recursive: true });
  writeFileSync(join(dir, '.ai-tests', 'templates', 'docs-example.test.ts.tpl'), b.code);
  const trace = makeOpenAIStreamTrace({ id: 'feedfacecafe' });
  trace.metadata.provider = providers[0] as typeof trace.metadata.provider;
  const r = await generateFromTrace(trace, { cwd: dir }).catch((e: Error) => {
    throw new Error(`${where(b)}: traceforge gen refused the template: ${e.message}`);
  });
  expect(r.template.name, `${where(b)}: not picked for provider ${providers[0]}`).toBe('docs-example');
}
