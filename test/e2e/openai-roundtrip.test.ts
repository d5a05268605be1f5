import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecorder } from '../../src/record/recorder.js';
import { startReplayServer } from '../../src/replay/replay-server.js';
import { createTraceStore } from '../../src/store/trace-store.js';
import { appendToCassette, loadCassette } from '../../src/store/cassette-file.js';
import type { Trace } from '../../src/trace/types.js';
import { jitterGaps, openaiChatStream, openaiChatJson, startFakeUpstream, splitTokens, type FakeUpstream } from '../fakes/index.js';

const TEXT = 'Record and replay keeps every token where it was, down to the byte and the millisecond. '.repeat(3);
const API_KEY = 'sk-proj-ThisIsAFakeKeyThatMustNeverReachDisk1234567890';

async function collect(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
  let text = '';
  let n = 0;
  for await (const c of stream) {
    n++;
    text += c.choices[0]?.delta?.content ?? '';
  }
  return { text, n };
}

describe('OpenAI chat: record through the proxy, replay from the cassette', () => {
  let upstream: FakeUpstream;
  let dir: string;
  const traces: Trace[] = [];
  let cassette: string;
  let upstreamBody = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tf-rt-'));
    cassette = join(dir, 'chat.yaml');
    upstream = await startFakeUpstream((req) => {
      const body = req.json as { stream?: boolean };
      if (!body.stream) return openaiChatJson({ text: 'Non-streamed hello.' });
      return openaiChatStream({ text: splitTokens(TEXT), gaps: jitterGaps(7, 200), includeUsage: true });
    });
  });
  afterAll(async () => upstream.close());

  it('forwards the stream untouched and writes a redacted trace and cassette', async () => {
    const store = createTraceStore(join(dir, 'traces'));
    const rec = await startRecorder({
      upstream: upstream.url,
      onTrace: async (t) => {
        traces.push(t);
        await store.save(t);
        await appendToCassette(cassette, [t]);
      },
    });
    const client = new OpenAI({ baseURL: `${rec.url}/v1`, apiKey: API_KEY, maxRetries: 0 });
    const live = await collect(await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Say it' }] }));
    const plain = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
    await rec.close();

    expect(live.text).toBe(TEXT);
    expect(plain.choices[0]!.message.content).toBe('Non-streamed hello.');
    expect(traces).toHaveLength(2);
    const s = traces.find((t) => t.metadata.stream)!;
    expect(s.metadata.status).toBe('success');
    expect(s.total_chunks).toBe(live.n + 1); // + [DONE]
    expect((s.response as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe(TEXT);
    expect(s.first_chunk_latency_ms).toBeGreaterThan(0);
    expect(s.chunks![0]!.delta_ms).toBe(0);
    // Bytes: the trace's raw frames concatenate to exactly what the upstream wrote.
    upstreamBody = s.chunks!.map((c) => c.raw).join('');
    expect(upstreamBody.endsWith('data: [DONE]\n\n')).toBe(true);
    const files = await readdir(join(dir, 'traces'));
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(2);
    for (const f of [...files.map((f) => join(dir, 'traces', f)), cassette]) {
      const text = await readFile(f, 'utf8');
      expect(text).not.toContain(API_KEY);
    }
    expect(upstream.requests[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('replays the same bytes and text with no upstream and no key', async () => {
    const replay = await startReplayServer({ cassette, speed: 0 });
    const client = new OpenAI({ baseURL: `${replay.url}/v1`, apiKey: 'not-a-real-key', maxRetries: 0 });
    const again = await collect(await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Say it' }] }));
    expect(again.text).toBe(TEXT);
    const res = await fetch(`${replay.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ content: 'Say it', role: 'user' }], stream: true, model: 'gpt-4o-mini', stream_options: { include_usage: true } }),
    });
    expect(await res.text()).toBe(upstreamBody);
    const c = await loadCassette(cassette);
    expect(c.interactions).toHaveLength(2);
    await replay.close();
  });
});
