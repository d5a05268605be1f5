/**
 * An app module that imports node:https's request by name (`import { request } from 'node:https'`) is
 * served from the cassette like one that uses the default export; it went out for real before.
 */
import { request } from 'node:https';
import { get } from 'node:http';
import { connect } from 'node:http2';
import { expect, it } from 'vitest';
import { openCassette } from '../../src/session.js';
import { makeNonStreamTrace } from '../helpers/make-trace.js';
import { tempCassette } from '../virtual/helpers.js';

const trace = makeNonStreamTrace({ id: 'trnamed00001', text: 'served', messages: [{ role: 'user', content: 'hi' }], params: {} });

function post(): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request('https://api.openai.com/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(trace.request));
  });
}

for (const clock of ['wall', 'virtual'] as const) {
  it(`a named import of node:https's request is served from the cassette (${clock} clock), and let go after`, async () => {
    const session = await openCassette(await tempCassette([trace]), { mode: 'none', intercept: { unmatched: 'error' }, clock });
    try {
      expect(JSON.parse(await post()).choices[0].message.content).toBe('served');
      // node:http's named get is bound too: a call to a host not served is refused, not sent.
      await expect(new Promise((resolve, reject) => get('http://example.test/x', resolve).on('error', reject))).rejects.toThrow(/blocked a call to http:\/\/example\.test/);
      // And node:http2's named connect: a served host cannot go out over HTTP/2, another host is refused under CI.
      expect(() => connect('https://api.openai.com')).toThrow(/called over HTTP\/2/);
      expect(() => connect('https://example.test')).toThrow(/blocked a call to https:\/\/example\.test/);
    } finally {
      await session.close();
    }
    const { request: after } = await import('node:https');
    const { default: https } = await import('node:https');
    expect(after).toBe(https.request);
  });
}
