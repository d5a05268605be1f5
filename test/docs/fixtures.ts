import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCassette } from '../../src/session.js';
import { createTraceStore } from '../../src/store/trace-store.js';
import type { Trace } from '../../src/trace/types.js';
import { makeAnthropicStreamTrace, makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';

/**
 * What the docs' commands expect to find in the project they run in: `fixtures/chat.yaml` recorded from
 * the docs upstream ('Say hello', then 'Say it', as the examples send them), an `app.js` and a
 * `test/chat.test.ts` that stream through the openai SDK, and an `npm test` that runs the app.
 */
export const PROMPTS = ['Say hello', 'Say it'];

export async function recordFixtureCassette(dir: string, upstreamUrl: string): Promise<void> {
  const session = await openCassette(join(dir, 'fixtures', 'chat.yaml'), { mode: 'all', upstream: upstreamUrl, traces: false });
  try {
    for (const content of PROMPTS) {
      const res = await fetch(`${session.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-docs-test' },
        body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content }] }),
      });
      await res.text();
    }
  } finally {
    await session.close();
  }
}

const APP_JS = `// The user's app: streams one answer through the openai SDK, from OPENAI_BASE_URL.
import OpenAI from 'openai';
const openai = new OpenAI({ maxRetries: 0 });
let text = '';
const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Say it' }] });
for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
console.log(text);
`;

const CHAT_TEST = `import OpenAI from 'openai';
import { expect, it } from 'vitest';

it('streams an answer', async () => {
  const openai = new OpenAI({ maxRetries: 0 });
  let text = '';
  const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Say it' }] });
  for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
  expect(text.length).toBeGreaterThan(0);
});
`;

export function writeUserProject(dir: string): void {
  mkdirSync(join(dir, 'test'), { recursive: true });
  writeFileSync(join(dir, 'app.js'), APP_JS);
  writeFileSync(join(dir, 'ask.js'), APP_JS.replace("'Say it'", "'What is the capital of France?'"));
  writeFileSync(join(dir, 'test', 'chat.test.ts'), CHAT_TEST);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'docs-user-project', private: true, type: 'module', scripts: { test: 'node app.js' } }, null, 2));
}

/** A fresh copy of a prepared project, so blocks can run side by side without seeing each other's files. */
export function copyProject(from: string, to: string): string {
  cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  return to;
}

const ask = (content: string) => [{ role: 'user', content }];

/** The traces docs/browsing.md shows: ids, times, models, prompts and texts as printed there. */
export function browsingTraces(): Trace[] {
  const textA = 'The sky is blue because of Rayleigh scattering: shorter wavelengths scatter more.\nSecond line here.';
  const textB = 'The sky looks blue because air scatters short wavelengths more strongly.';
  return [
    makeOpenAIStreamTrace({ id: 'a1b2c3d4e5f60001', timestamp: '2026-11-24T15:41:00.123Z', text: textA, seed: 1, messages: ask('Why is the sky blue?') }),
    makeOpenAIStreamTrace({ id: 'a1b2c3d4e5f60002', timestamp: '2026-11-24T15:42:00.123Z', text: textB, seed: 2, messages: ask('Why is the sky blue?') }),
    makeAnthropicStreamTrace({ id: 'b7c8d9e0f1a20003', timestamp: '2026-11-24T15:43:00.123Z', seed: 3 }),
    makeNonStreamTrace({ id: 'c0ffee0000000004', timestamp: '2026-11-24T15:44:00.123Z', model: 'gpt-4.1', messages: ask('Summarise this ticket in one line') }),
    makeOpenAIStreamTrace({ id: 'd00d000000000005', timestamp: '2026-11-24T15:45:00.123Z', outcome: 'upstream_aborted', text: 'Cut off after a few words', seed: 5, messages: ask('Write a haiku about tmux') }),
  ];
}

/** The call docs/gen.md turns into a test. */
export function genTrace(): Trace {
  const t = makeOpenAIStreamTrace({
    id: 'e19197efb737',
    timestamp: '2026-11-24T18:08:12.845Z',
    text: 'The capital of France is Paris.',
    messages: [{ role: 'user', content: 'What is the capital of France?' }],
    params: { stream_options: { include_usage: true } },
    firstChunkLatencyMs: 412,
  });
  t.metadata.model = 'gpt-4o-mini-2024-07-18';
  // In the order the app sent it: the generated test repeats it as it was.
  t.request = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'What is the capital of France?' }], stream_options: { include_usage: true }, stream: true };
  return t;
}

export async function saveTraces(dir: string, traces: Trace[]): Promise<void> {
  const store = createTraceStore(join(dir, '.ai-tests', 'traces'));
  for (const t of traces) await store.save(t);
}
