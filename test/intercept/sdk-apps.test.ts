/**
 * The user story, end to end with real SDKs and a real vitest: an app module that builds its
 * clients when it is imported, with default base URLs, is imported at the top of a test file that
 * only calls useCassette. Recorded once (TRACEFORGE_RECORD=once, TRACEFORGE_UPSTREAM=a fake provider),
 * then replayed under CI=true with the fake gone; a changed prompt fails with the miss explanation.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnyProviderFake } from './any-provider.js';
import type { FakeUpstream } from '../fakes/index.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const WORK = join(ROOT, '.tmp', `sdk-apps-${process.pid}`);

// App code as a user writes it: nothing in it knows about TraceForge.
const APP = `
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { createOpenAI } from '@ai-sdk/openai';
import { streamText } from 'ai';
import ollama from 'ollama';
import { GoogleGenAI } from '@google/genai';
import axios from 'axios';

const openai = new OpenAI();
const anthropic = new Anthropic();
const provider = createOpenAI();
const gemini = new GoogleGenAI({ apiKey: process.env.GEMINI_API_KEY });

export async function openaiChat(q: string) {
  let text = '';
  const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: q }] });
  for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
  return text;
}
export async function anthropicChat(q: string) {
  const stream = anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: q }] });
  return (await stream.finalText());
}
export async function aiSdkText(q: string) {
  let text = '';
  for await (const d of streamText({ model: provider('gpt-4.1-mini'), prompt: q }).textStream) text += d;
  return text;
}
export async function ollamaChat(q: string) {
  let text = '';
  for await (const part of await ollama.chat({ model: 'llama3.2', stream: true, messages: [{ role: 'user', content: q }] })) text += part.message.content;
  return text;
}
export async function geminiText(q: string) {
  let text = '';
  for await (const c of await gemini.models.generateContentStream({ model: 'gemini-2.5-flash', contents: q })) text += c.text ?? '';
  return text;
}
export async function summarize(q: string) {
  const res = await axios.post('http://llm.internal:8080/v1/summarize', { text: q });
  return res.data.summary as string;
}
`;

const SPEC = `
import { expect, it } from 'vitest';
import { useCassette } from ${JSON.stringify(join(ROOT, 'src/vitest.ts'))};
import { aiSdkText, anthropicChat, geminiText, ollamaChat, openaiChat, summarize } from './app.js';

useCassette('fixtures/app.yaml', { intercept: { hosts: ['llm.internal:8080'] } });
const Q = process.env.PROMPT ?? 'hi';

it('openai', async () => expect(await openaiChat(Q)).toBe('openai says ' + Q));
it('anthropic', async () => expect(await anthropicChat(Q)).toBe('anthropic says ' + Q));
it('ai sdk', async () => expect(await aiSdkText(Q)).toBe('responses says ' + Q));
it('ollama', async () => expect(await ollamaChat(Q)).toBe('ollama says ' + Q));
it('gemini', async () => expect(await geminiText(Q)).toBe('gemini says ' + Q));
it('axios', async () => expect(await summarize(Q)).toBe('summary of ' + Q));
`;

async function vitest(env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', OPENAI_API_KEY: 'sk-fake-000', ANTHROPIC_API_KEY: 'sk-ant-fake-000', GEMINI_API_KEY: 'fake-gemini-key' };
  for (const k of ['CI', 'TRACEFORGE_RECORD', 'TRACEFORGE_UPSTREAM', 'TRACEFORGE_PROXY_URL', 'TRACEFORGE_CASSETTE', 'TRACEFORGE_FAULTS', 'PROMPT', 'OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'GOOGLE_GEMINI_BASE_URL', 'OLLAMA_HOST', 'VITEST', 'VITEST_WORKER_ID', 'VITEST_POOL_ID']) delete base[k];
  try {
    const { stdout, stderr } = await run(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--root', WORK], { cwd: WORK, env: { ...base, ...env } });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

describe('an unmodified app module, recorded once and replayed under CI', () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    await rm(WORK, { recursive: true, force: true });
    await mkdir(WORK, { recursive: true });
    await writeFile(join(WORK, 'vitest.config.mjs'), "export default { test: { include: ['*.spec.ts'] } };\n");
    await writeFile(join(WORK, 'app.ts'), APP);
    await writeFile(join(WORK, 'app.spec.ts'), SPEC);
    fake = await startAnyProviderFake();
  });
  afterAll(async () => {
    await fake?.close();
    await rm(WORK, { recursive: true, force: true });
  });

  it('records every SDK through the interception, then replays with no upstream; a new prompt fails with the miss', async () => {
    const rec = await vitest({ TRACEFORGE_RECORD: 'once', TRACEFORGE_UPSTREAM: fake.url });
    expect(rec.out).toContain('6 passed');
    expect(rec.code).toBe(0);
    // Each SDK's call reached the fake once, by the path its SDK uses, with no TraceForge header.
    const paths = fake.requests.map((r) => r.url.split('?')[0]).sort();
    expect(paths).toEqual(['/api/chat', '/v1/chat/completions', '/v1/messages', '/v1/responses', '/v1/summarize', '/v1beta/models/gemini-2.5-flash:streamGenerateContent']);
    expect(fake.requests.every((r) => r.headers['x-traceforge-origin'] === undefined)).toBe(true);
    const cassette = await readFile(join(WORK, 'fixtures/app.yaml'), 'utf8');
    expect(cassette).not.toContain('sk-fake-000');
    // Recorded calls leave trace files too, by default.
    expect((await readdir(join(WORK, '.ai-tests/traces'))).filter((f) => f.endsWith('.json'))).toHaveLength(6);

    await fake.close();
    const seen = fake.requests.length;
    const replay = await vitest({ CI: 'true' });
    expect(replay.out).toContain('6 passed');
    expect(replay.code).toBe(0);
    expect(fake.requests.length).toBe(seen);

    const changed = await vitest({ CI: 'true', PROMPT: 'hello?' });
    expect(changed.code).not.toBe(0);
    expect(changed.out).toContain('6 failed');
    expect(changed.out).toContain('matched no recording');
    expect(changed.out).toContain('body.messages[0].content: recorded "hi", received "hello?"');
  }, 60_000);
});
