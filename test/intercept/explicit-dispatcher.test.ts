/**
 * An app that passes its own undici dispatcher (the OpenAI SDK's documented `fetchOptions.dispatcher`,
 * `fetch(url, { dispatcher })`, an Agent, Client, Pool or ProxyAgent) is served from the cassette too,
 * and under CI a call to a host not served is refused before a byte leaves. A local listener stands in
 * for the provider's host: every dispatcher here connects to it, so a call that escaped the interception
 * would be counted there; it must see none.
 */
import OpenAI from 'openai';
import { Agent, Client, EnvHttpProxyAgent, fetch as undiciFetch, interceptors, MockAgent, Pool, ProxyAgent, request, RetryAgent, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCassette, type CassetteSession } from '../../src/session.js';
import { makeNonStreamTrace } from '../helpers/make-trace.js';
import { useStandIn } from '../helpers/stand-in.js';
import { chatTrace, tempCassette } from '../virtual/helpers.js';

const plain = makeNonStreamTrace({ id: 'trexplicit01', text: 'served', messages: [{ role: 'user', content: 'hi' }], params: {} });
const streamed = chatTrace('stream please', ['a', 'b', 'c'], [5, 5, 5, 5, 5], 20, 'trexplicit02');

const standIn = useStandIn();
/** Sockets for every dispatcher below go to the stand-in listener, whatever host the call names. */
const connect = standIn.connect as unknown as Agent.Options['connect'];

const body = JSON.stringify(plain.request);
const post = { method: 'POST' as const, headers: { 'content-type': 'application/json' }, body };

for (const clock of ['wall', 'virtual'] as const) {
  describe(`with CI set, on the ${clock} clock`, () => {
    let session: CassetteSession;
    let before = 0;
    beforeAll(async () => {
      before = standIn.connections;
      session = await openCassette(await tempCassette([plain, streamed]), { mode: 'none', intercept: { unmatched: 'error' }, clock });
    });
    afterAll(async () => {
      await session.close();
      expect(standIn.connections).toBe(before);
    });

    it("serves the OpenAI SDK with fetchOptions.dispatcher (a streamed call and a plain one)", async () => {
      const client = new OpenAI({ apiKey: 'sk-test', maxRetries: 0, fetchOptions: { dispatcher: new Agent({ connect }) } as unknown as OpenAI['fetchOptions'] });
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'stream please' }], stream: true });
      let text = '';
      for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
      expect(text).toBe('a b c');
      const done = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: false });
      expect(done.choices[0]!.message.content).toBe('served');
    });

    it('serves fetch(url, { dispatcher }) with Node\'s fetch and undici\'s', async () => {
      for (const f of [globalThis.fetch, undiciFetch as unknown as typeof fetch]) {
        const res = await f('https://api.openai.com/v1/chat/completions', { ...post, dispatcher: new Agent({ connect }) } as unknown as RequestInit);
        expect(((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe('served');
      }
    });

    it('serves an undici Client, Pool, Agent, RetryAgent, composed and env-proxy dispatcher of the app\'s own', async () => {
      const dispatchers: Dispatcher[] = [
        new Client('https://api.openai.com', { connect }),
        new Pool('https://api.openai.com', { connect }),
        new Agent({ connect }),
        new RetryAgent(new Agent({ connect })),
        new Agent({ connect }).compose(interceptors.retry()),
        new EnvHttpProxyAgent({ httpsProxy: `http://127.0.0.1:${standIn.port}`, httpProxy: `http://127.0.0.1:${standIn.port}` }),
      ];
      for (const d of dispatchers) {
        const res = await request('https://api.openai.com/v1/chat/completions', { ...post, dispatcher: d });
        expect(((await res.body.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe('served');
        await d.close();
      }
    });

    it('serves a call through a ProxyAgent without reaching the proxy', async () => {
      const res = await request('https://api.openai.com/v1/chat/completions', { ...post, dispatcher: new ProxyAgent({ uri: `http://127.0.0.1:${standIn.port}` }) });
      expect(res.statusCode).toBe(200);
      await res.body.json();
    });

    it('refuses a host that is not served, through an explicit dispatcher, naming it', async () => {
      await expect(globalThis.fetch('https://example.com/x', { dispatcher: new Agent({ connect }) } as unknown as RequestInit)).rejects.toThrow();
      await expect(request('https://example.com/x', { dispatcher: new Client('https://example.com', { connect }) })).rejects.toThrow(/blocked a call to https:\/\/example\.com\/x/);
      expect(session.blocked.some((b) => b.includes('https://example.com/x'))).toBe(true);
    });

    it("leaves undici's own MockAgent answering", async () => {
      const mock = new MockAgent();
      mock.disableNetConnect();
      mock.get('https://api.openai.com').intercept({ path: '/v1/models', method: 'GET' }).reply(200, { data: ['mocked'] });
      const res = await request('https://api.openai.com/v1/models', { dispatcher: mock });
      expect(await res.body.json()).toEqual({ data: ['mocked'] });
      await mock.close();
    });
  });
}

it('lets an explicit dispatcher go to the network again once the cassette is closed', async () => {
  const before = standIn.connections;
  await expect(request('https://api.openai.com/v1/models', { dispatcher: new Client('https://api.openai.com', { connect }) })).rejects.toThrow();
  expect(standIn.connections).toBe(before + 1);
});
