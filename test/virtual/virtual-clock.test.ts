/**
 * clock: 'virtual' in vitest with the official openai SDK and an unmodified app: what the app measures
 * is the recording, exactly, and the recorded seconds are not waited for.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { expect, it } from 'vitest';
import { emptyCassette } from '../../src/cassette/codec.js';
import { writeCassette } from '../../src/store/cassette-file.js';
import { useCassette } from '../../src/vitest.js';
import { realNow } from '../../src/util/real-timers.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';

const TEXT = 'one two three four five six';
// role, six words, finish, usage, [DONE]: ten events.
const GAPS = [0, 12.345, 500.25, 3.2, 0.4, 1999.9, 7.777, 40, 0.01, 2.5];
const trace = makeOpenAIStreamTrace({ text: TEXT, gaps: GAPS, firstChunkLatencyMs: 61.7, messages: [{ role: 'user', content: 'count' }], params: {} });
const dir = await mkdtemp(join(tmpdir(), 'tf-virtual-'));
const path = join(dir, 'chat.yaml');
await writeCassette(path, { ...emptyCassette(), interactions: [trace] });

useCassette(path, { clock: 'virtual' });

// The app under test: nothing in it knows about TraceForge.
const openai = new OpenAI({ apiKey: 'sk-test' });
async function timedChat(): Promise<{ text: string; at: number[] }> {
  const t0 = performance.now();
  const at: number[] = [];
  let text = '';
  const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'count' }] });
  for await (const c of stream) {
    at.push(performance.now() - t0);
    text += c.choices[0]?.delta?.content ?? '';
  }
  return { text, at };
}

it('the app measures the recorded time to first chunk and every gap, with no wall-clock wait', async () => {
  const wall = realNow();
  const { text, at } = await timedChat();
  const wallMs = realNow() - wall;
  expect(text).toBe(TEXT);
  // The SDK yields every event but [DONE]: nine.
  const expected: number[] = [];
  let t = 61.7;
  for (let i = 0; i < 9; i++) expected.push((t += GAPS[i]!));
  expect(at).toHaveLength(9);
  for (let i = 0; i < 9; i++) expect(Math.abs(at[i]! - expected[i]!)).toBeLessThan(0.001);
  // 2.6 s recorded; a loaded machine still plays it far faster than that.
  expect(wallMs).toBeLessThan(2000);
});
