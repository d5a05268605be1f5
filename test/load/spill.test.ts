import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startRecorder } from '../../src/record/recorder.js';
import { appendToCassette } from '../../src/store/cassette-file.js';
import { listTraces } from '../../src/store/trace-index.js';
import { createTraceStore } from '../../src/store/trace-store.js';
import { storedToBytes } from '../../src/stream/bytes.js';
import { parseTrace, stringifyTrace } from '../../src/trace/codec.js';
import { spilledOf } from '../../src/trace/spilled.js';
import type { Trace } from '../../src/trace/types.js';
import { jsonResponse, openaiChatStream, startFakeUpstream, type Script } from '../fakes/index.js';

async function recordToStore(script: Script, body: unknown, spillThresholdBytes?: number): Promise<{ trace: Trace; path: string; sent: Buffer; dir: string }> {
  const upstream = await startFakeUpstream(script);
  const dir = await mkdtemp(join(tmpdir(), 'tf-spill-'));
  const store = createTraceStore(dir);
  let trace: Trace | undefined;
  let path = '';
  const rec = await startRecorder({
    upstream: upstream.url,
    spillThresholdBytes,
    onTrace: async (t) => {
      trace = t;
      path = await store.save(t);
    },
  });
  const sent = await new Promise<Buffer>((resolve) => {
    const parts: Buffer[] = [];
    const req = request(`${rec.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-live-abcdefghijklmnop1234' } }, (res) => {
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve(Buffer.concat(parts)));
    });
    req.end(JSON.stringify(body));
  });
  await rec.close();
  await upstream.close();
  return { trace: trace!, path, sent, dir };
}

const CHAT = { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'go' }] };

describe('bodies past the in-memory limit spill to disk', () => {
  it('a spilled stream is written as the same trace file an in-memory one would be, and lists', async () => {
    const words = Array.from({ length: 300 }, (_, i) => ` w${i}`);
    const { trace, path, sent, dir } = await recordToStore(openaiChatStream({ text: words }), CHAT, 4096);
    expect(spilledOf(trace)).toBeDefined();
    expect(trace.chunks).toBeUndefined();
    const text = await readFile(path, 'utf8');
    const loaded = parseTrace(text, path);
    // Exactly the layout stringifyTrace produces, so every reader treats it like any trace.
    expect(stringifyTrace(loaded)).toBe(text);
    expect(loaded.total_chunks).toBe(loaded.chunks!.length);
    expect(loaded.chunks!.length).toBe(words.length + 3);
    expect(Buffer.concat(loaded.chunks!.map((c) => storedToBytes(c.raw, c.raw_encoding)))).toEqual(sent);
    expect(loaded.chunks!.every((c, i) => (i === 0 ? c.delta_ms === 0 : c.delta_ms >= 0))).toBe(true);
    expect(text).not.toContain('sk-live-abcdefghijklmnop1234');
    const { rows, problems } = await listTraces(dir);
    expect(problems).toEqual([]);
    expect(rows).toMatchObject([{ id: trace.id, chunks: words.length + 3, stream: true }]);
  });

  it('a spilled non-stream body keeps its reads, byte for byte', async () => {
    const big = { data: Array.from({ length: 2000 }, (_, i) => ({ index: i, embedding: [i / 3, i / 7] })) };
    const { trace, path, sent } = await recordToStore(jsonResponse(big), { ...CHAT, stream: false }, 1024);
    expect(spilledOf(trace)?.kind).toBe('body');
    const loaded = parseTrace(await readFile(path, 'utf8'), path);
    expect(Buffer.concat(loaded.http.body!.map((b) => storedToBytes(b.raw, b.raw_encoding)))).toEqual(sent);
    expect(JSON.parse(sent.toString())).toEqual(big);
  });

  it('below the limit nothing spills', async () => {
    const { trace } = await recordToStore(openaiChatStream({ text: [' a', ' b'] }), CHAT);
    expect(spilledOf(trace)).toBeUndefined();
    expect(trace.chunks).toHaveLength(5);
  });

  it('a YAML cassette refuses a spilled interaction with a message that says where it went', async () => {
    const { trace, dir } = await recordToStore(openaiChatStream({ text: Array.from({ length: 100 }, (_, i) => ` w${i}`) }), CHAT, 2048);
    await expect(appendToCassette(join(dir, 'c.yaml'), [trace])).rejects.toMatchObject({ code: 'E_CASSETTE_INVALID', message: expect.stringMatching(/too big for a YAML cassette.*trace file/) });
  });
});
