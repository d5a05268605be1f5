/**
 * A worker thread started while a cassette is in use is sealed like the test's own thread: its fetch,
 * its undici and its node:https calls to a served host are answered from the cassette, and under CI its
 * calls to other hosts are refused before they connect. A local listener stands in for the network.
 */
import { SHARE_ENV, Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCassette, type CassetteSession } from '../../src/session.js';
import { makeNonStreamTrace } from '../helpers/make-trace.js';
import { useStandIn } from '../helpers/stand-in.js';
import { tempCassette } from '../virtual/helpers.js';

const trace = makeNonStreamTrace({ id: 'trworker0001', text: 'served in a worker', messages: [{ role: 'user', content: 'hi' }], params: {} });

const standIn = useStandIn();

/** The worker's code: each way out, reporting what it got; every socket it opens would reach the stand-in listener. */
const code = (port: number, body: string) => `
const { parentPort } = require('node:worker_threads');
const net = require('node:net');
const https = require('node:https');
const undici = require(${JSON.stringify(require.resolve('undici'))});
const body = ${JSON.stringify(body)};
const lookup = (_h, _o, cb) => cb(null, '127.0.0.1', 4);
const connect = (_o, cb) => { const s = net.connect(${port}, '127.0.0.1'); s.once('connect', () => cb(null, s)).once('error', (e) => cb(e, null)); };
const text = (j) => JSON.parse(j).choices[0].message.content;
const viaHttps = (host) => new Promise((resolve) => {
  const req = https.request({ host, port: 443, path: '/v1/chat/completions', method: 'POST', lookup, headers: { 'content-type': 'application/json' } }, (res) => {
    let b = ''; res.setEncoding('utf8'); res.on('data', (d) => (b += d)); res.on('end', () => resolve(text(b)));
  });
  req.on('error', (e) => resolve('error: ' + e.message));
  req.end(body);
});
(async () => {
  const out = {};
  const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body };
  out.fetch = await fetch('https://api.openai.com/v1/chat/completions', post).then((r) => r.text()).then(text, (e) => 'error: ' + e.message);
  out.dispatcher = await fetch('https://api.openai.com/v1/chat/completions', { ...post, dispatcher: new undici.Agent({ connect }) }).then((r) => r.text()).then(text, (e) => 'error: ' + e.message);
  out.https = await viaHttps('api.openai.com');
  out.otherFetch = await fetch('https://example.com/x', { dispatcher: new undici.Agent({ connect }) }).then(() => 'answered', (e) => 'error: ' + (e.cause?.message ?? e.message));
  out.otherHttps = await viaHttps('example.com');
  parentPort.postMessage(out);
})();
`;

async function runWorker(options: ConstructorParameters<typeof Worker>[1] = {}): Promise<Record<string, string>> {
  const w = new Worker(code(standIn.port, JSON.stringify(trace.request)), { eval: true, ...options });
  try {
    return await new Promise((resolve, reject) => w.once('message', resolve).once('error', reject));
  } finally {
    await w.terminate();
  }
}

for (const clock of ['wall', 'virtual'] as const) {
  describe(`a worker started with a cassette open under CI (${clock} clock)`, () => {
    let session: CassetteSession;
    let before = 0;
    beforeAll(async () => {
      before = standIn.connections;
      session = await openCassette(await tempCassette([trace]), { mode: 'none', intercept: { unmatched: 'error' }, clock });
    });
    afterAll(() => session.close());

    it('is served from the cassette by fetch, an explicit dispatcher and node:https, and refused elsewhere (own and shared environment)', async () => {
      // Two workers at once: one with an environment of its own, one sharing this thread's.
      for (const out of await Promise.all([runWorker(), runWorker({ env: SHARE_ENV })])) {
        expect(out.fetch).toBe('served in a worker');
        expect(out.dispatcher).toBe('served in a worker');
        expect(out.https).toBe('served in a worker');
        expect(out.otherFetch).toMatch(/blocked a call to https:\/\/example\.com\/x/);
        expect(out.otherHttps).toMatch(/blocked a call to https:\/\/example\.com\/v1\/chat\/completions/);
      }
      expect(standIn.connections).toBe(before);
    });
  });
}

it('a worker started after the cassette is closed is not sealed', async () => {
  const before = standIn.connections;
  const out = await runWorker();
  expect(out.otherFetch).not.toMatch(/blocked/);
  expect(standIn.connections).toBeGreaterThan(before);
});
