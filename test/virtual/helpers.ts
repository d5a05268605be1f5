import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyCassette } from '../../src/cassette/codec.js';
import { writeCassette } from '../../src/store/cassette-file.js';
import type { Trace } from '../../src/trace/types.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';

/** An OpenAI chat stream answering `prompt` with one event per word, at these gaps (role, words, finish, usage, [DONE]). */
export function chatTrace(prompt: string, words: string[], gaps: number[], firstChunkLatencyMs: number, id = 'tr0virtual01'): Trace {
  return makeOpenAIStreamTrace({ id, text: words.join(' '), gaps, firstChunkLatencyMs, messages: [{ role: 'user', content: prompt }], params: {} });
}

/** Write a cassette of these traces to a fresh temp directory. */
export async function tempCassette(traces: Trace[]): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'tf-virtual-')), 'chat.yaml');
  await writeCassette(path, { ...emptyCassette(), interactions: traces });
  return path;
}

/** When the SDK yields each chunk, in ms of the app's clock since the call started. */
export function expectedOffsets(firstChunkLatencyMs: number, gaps: number[], yielded: number): number[] {
  const out: number[] = [];
  let t = firstChunkLatencyMs;
  for (let i = 0; i < yielded; i++) out.push((t += gaps[i]!));
  return out;
}
