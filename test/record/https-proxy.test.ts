import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { ProxyAgent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCA, type LocalCA } from '../../src/record/ca.js';
import { createProviderRouter } from '../../src/record/provider-routes.js';
import { startRecorder, type Recorder } from '../../src/record/recorder.js';
import type { Trace } from '../../src/trace/types.js';
import { ollamaChatStream, openaiChatStream, startFakeUpstream, type FakeUpstream } from '../fakes/index.js';
import { startTlsFront, type TlsFront } from './tls-front.js';

describe('--https-proxy: an app calling https://api.openai.com through HTTPS_PROXY is recorded', () => {
  let fake: FakeUpstream;
  let ollama: FakeUpstream;
  let front: TlsFront;
  let ca: LocalCA;
  let rec: Recorder;
  const traces: Trace[] = [];
  let served = '';

  beforeAll(async () => {
    fake = await startFakeUpstream(() => {
      const script = openaiChatStream({ text: 'Intercepted over TLS.', gaps: 1 });
      served = script.frames.map((f) => f.bytes).join('');
      return script;
    });
    ollama = await startFakeUpstream(ollamaChatStream({ text: 'Plain proxied.' }));
    front = await startTlsFront(fake.url);
    ca = await ensureCA(join(await mkdtemp(join(tmpdir(), 'tf-https-')), 'ca'));
    // api.openai.com is overridden to the local HTTPS fake, so nothing leaves the machine.
    const { route } = createProviderRouter({ overrides: { openai: front.url, ollama: ollama.url } });
    rec = await startRecorder({
      route,
      https: { keyPath: ca.keyPath, certPath: ca.certPath, interceptOnly: ['api.openai.com'] },
      upstreamCAs: [front.caCert],
      onTrace: (t) => void traces.push(t),
    });
  });
  afterAll(async () => {
    await rec.close();
    await front.close();
    await fake.close();
    await ollama.close();
  });

  const clientVia = (agent: ProxyAgent) =>
    new OpenAI({
      apiKey: 'sk-proxy-test',
      baseURL: 'https://api.openai.com/v1',
      maxRetries: 0,
      fetch: ((url: string, init: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch,
    });

  it('intercepts with a certificate from the local CA and forwards to the provider route over HTTPS', async () => {
    const agent = new ProxyAgent({ uri: rec.url, requestTls: { ca: ca.cert } });
    const s = clientVia(agent).chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect((await s.finalChatCompletion()).choices[0]!.message.content).toBe('Intercepted over TLS.');
    await rec.flush();
    const t = traces.find((x) => x.endpoint === '/v1/chat/completions')!;
    expect(t.metadata).toMatchObject({ provider: 'openai', stream: true, upstream: front.url });
    expect(t.chunks!.map((c) => c.raw).join('')).toBe(served);
    expect(t.first_chunk_latency_ms).toBeGreaterThan(0);
    expect(fake.requests.at(-1)!.headers.authorization).toBe('Bearer sk-proxy-test');
    await agent.close();
  });

  it('a client that does not trust the CA is refused, so nothing is intercepted silently', async () => {
    const agent = new ProxyAgent({ uri: rec.url });
    const before = fake.requests.length;
    await expect(clientVia(agent).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })).rejects.toThrow();
    expect(fake.requests.length).toBe(before);
    await agent.close();
  });

  it('TLS to a host not in interceptOnly is tunnelled untouched (the server keeps its own certificate) and not recorded', async () => {
    const agent = new ProxyAgent({ uri: rec.url, requestTls: { ca: front.caCert } });
    const before = traces.length;
    const res = await undiciFetch(`${front.url}/v1/chat/completions`, { method: 'POST', body: '{"stream":true}', dispatcher: agent });
    expect(await res.text()).toContain('Intercepted');
    await rec.flush();
    expect(traces.length).toBe(before);
    await agent.close();
  });

  it('plain http through the same proxy (HTTP_PROXY) goes where it was addressed, here the Ollama override', async () => {
    const agent = new ProxyAgent({ uri: rec.url });
    const res = await undiciFetch('http://localhost:11434/api/chat', { method: 'POST', body: '{"model":"llama3.2","messages":[]}', dispatcher: agent });
    const text = await res.text();
    expect(text).toContain('"content":" proxied."');
    await rec.flush();
    const t = traces.find((x) => x.endpoint === '/api/chat')!;
    expect(t.metadata).toMatchObject({ provider: 'ollama', upstream: ollama.url });
    expect(t.http.url).toBe('/api/chat');
    await agent.close();
  });
});
