import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCassette } from '../../src/store/cassette-file.js';
import { useCassette } from '../../src/vitest.js';
import { anthropicStream, geminiStream, ollamaChatStream, openaiChatStream } from '../fakes/index.js';
import { recordThenReplay, type ClientTarget } from './harness.js';

// One recorder, no --upstream: each SDK's calls are routed to its own (fake) provider and land in one cassette.
const cassettePath = join(mkdtempSync(join(tmpdir(), 'tf-mixed-')), 'mixed.yaml');

const calls = {
  openai: async ({ base, fetch }: ClientTarget) => {
    const s = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'sk-x', fetch, maxRetries: 0 }).chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'o' }] });
    return (await s.finalChatCompletion()).choices[0]!.message.content;
  },
  anthropic: async ({ base, fetch }: ClientTarget) => {
    const s = new Anthropic({ baseURL: base, apiKey: 'sk-ant-x', fetch, maxRetries: 0 }).messages.stream({ model: 'claude-haiku-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'a' }] });
    return (await s.finalText());
  },
  ollama: async ({ base, fetch }: ClientTarget) => {
    let text = '';
    for await (const p of await new Ollama({ host: base, fetch }).chat({ model: 'llama3.2', stream: true, messages: [{ role: 'user', content: 'l' }] })) text += p.message.content;
    return text;
  },
  gemini: async ({ base, fetch }: ClientTarget) => {
    const res = await fetch(`${base}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, { method: 'POST', headers: { 'x-goog-api-key': 'k' }, body: '{"contents":[{"parts":[{"text":"g"}]}]}' });
    return (await res.text()).length;
  },
};

describe('one cassette that mixes providers', () => {
  let recorded: Awaited<ReturnType<typeof recordAll>>;
  const recordAll = () =>
    recordThenReplay(
      {
        openai: () => openaiChatStream({ text: 'From OpenAI.', gaps: 1 }),
        anthropic: () => anthropicStream({ text: 'From Anthropic.' }, { gaps: 1 }),
        ollama: () => ollamaChatStream({ text: 'From Ollama.', gaps: 1 }),
        gemini: () => geminiStream({ text: 'From Gemini.', gaps: 1 }),
      },
      async (t) => ({ openai: await calls.openai(t), anthropic: await calls.anthropic(t), ollama: await calls.ollama(t), gemini: await calls.gemini(t) }),
      { cassette: cassettePath },
    );
  // Registered before useCassette's own beforeAll, so the cassette exists when it opens.
  beforeAll(async () => {
    recorded = await recordAll();
  });
  const cassette = useCassette(cassettePath, { mode: 'none', speed: 0 });

  it('records each provider into the same cassette, routed to its own upstream', async () => {
    expect(recorded.live).toMatchObject({ openai: 'From OpenAI.', anthropic: 'From Anthropic.', ollama: 'From Ollama.' });
    expect(recorded.replayed).toEqual(recorded.live);
    const c = await loadCassette(cassettePath);
    expect(c.interactions.map((t) => [t.metadata.provider, t.endpoint])).toEqual([
      ['openai', '/v1/chat/completions'],
      ['anthropic', '/v1/messages'],
      ['ollama', '/api/chat'],
      ['gemini', '/v1beta/models/gemini-2.5-flash:streamGenerateContent'],
    ]);
    for (const p of ['openai', 'anthropic', 'ollama', 'gemini'] as const) expect(recorded.requests[p]).toHaveLength(1);
  });

  it('useCassette serves every provider from it, in any order', async () => {
    const t = { base: cassette.url, fetch };
    expect(await calls.gemini(t)).toBe(recorded.live.gemini);
    expect(await calls.ollama(t)).toBe('From Ollama.');
    expect(await calls.anthropic(t)).toBe('From Anthropic.');
    expect(await calls.openai(t)).toBe('From OpenAI.');
    expect(cassette.misses).toEqual([]);
  });
});
