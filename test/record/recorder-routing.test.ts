import { ProxyAgent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderRouter } from '../../src/record/provider-routes.js';
import { startRecorder, type Recorder } from '../../src/record/recorder.js';
import { startReplayServer } from '../../src/replay/replay-server.js';
import type { Trace } from '../../src/trace/types.js';
import { NDJSON_HEADERS, openaiChatStream, SSE_HEADERS, startFakeUpstream, streamScript, type FakeUpstream } from '../fakes/index.js';

describe('recorder routing', () => {
  let openai: FakeUpstream;
  let rec: Recorder;
  const traces: Trace[] = [];

  beforeAll(async () => {
    openai = await startFakeUpstream(openaiChatStream({ text: 'routed' }));
    rec = await startRecorder({ route: createProviderRouter({ overrides: { openai: openai.url } }).route, onTrace: (t) => void traces.push(t) });
  });
  afterAll(async () => {
    await rec.close();
    await openai.close();
  });

  it('answers a call no provider owns with a 502 that says what to do, and records nothing', async () => {
    const before = traces.length;
    const res = await fetch(`${rec.url}/health`);
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('cannot tell which provider GET /health is for: pass --upstream URL');
    await rec.flush();
    expect(traces.length).toBe(before);
    expect(openai.requests).toHaveLength(0);
  });

  it('a call sent through HTTP_PROXY to the recorder itself is direct, not a loop', async () => {
    const agent = new ProxyAgent({ uri: rec.url });
    const res = await undiciFetch(`${rec.url}/v1/chat/completions`, { method: 'POST', body: '{"model":"m","stream":true,"messages":[]}', dispatcher: agent });
    expect(await res.text()).toContain('data: [DONE]');
    await rec.flush();
    expect(traces.at(-1)!.metadata).toMatchObject({ provider: 'openai', upstream: openai.url });
    expect(openai.requests).toHaveLength(1);
    await agent.close();
  });
});

describe('--upstream: anything else becomes a generic trace, replayed byte for byte', () => {
  it.each([
    ['sse', SSE_HEADERS, ['event: tick\ndata: 1\n\n', ': keep-alive\n\n', 'data: {"n":2}\r\n\r\n', 'id: 3\ndata: multi\ndata: line\n\n']],
    ['ndjson', NDJSON_HEADERS, ['{"a":1}\n', '{"a":2}\n', '{"done":true}\n']],
    ['raw', { 'content-type': 'application/octet-stream' }, ['\u0000\u0001binary-ish', ' and more']],
  ] as const)('%s', async (framing, headers, frames) => {
    const fake = await startFakeUpstream(streamScript([...frames], headers, { gaps: 1 }));
    const traces: Trace[] = [];
    const rec = await startRecorder({ route: createProviderRouter({ upstream: fake.url }).route, onTrace: (t) => void traces.push(t) });
    const live = Buffer.from(await (await fetch(`${rec.url}/custom/feed?x=1`, { method: 'POST', body: '{"q":1}' })).arrayBuffer());
    await rec.close();
    await fake.close();
    expect(live.toString('latin1')).toBe(frames.join(''));
    const t = traces[0]!;
    expect(t.metadata.provider).toBe('unknown');
    expect(t.http.framing).toBe(framing);
    const replay = await startReplayServer({ cassette: traces, speed: 0 });
    const again = Buffer.from(await (await fetch(`${replay.url}/custom/feed?x=1`, { method: 'POST', body: '{"q":1}' })).arrayBuffer());
    await replay.close();
    expect(again.equals(live)).toBe(true);
  });
});
