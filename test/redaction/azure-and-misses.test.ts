import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyMatcher, createMatcher, interactionKey } from '../../src/cassette/match.js';
import { expectationsFor } from '../../src/gen/expectations.js';
import { buildView } from '../../src/gen/view.js';
import type { Trace } from '../../src/trace/types.js';
import { renderTemplate } from '../../src/gen/template-engine.js';
import { startReplayServer, type ReplayServer } from '../../src/replay/replay-server.js';
import { appendToCassette } from '../../src/store/cassette-file.js';
import { buildTrace } from '../../src/trace/build.js';
import { stringifyTrace } from '../../src/trace/codec.js';
import { REDACTED } from '../../src/trace/redact.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';

const enc = new TextEncoder();
const view = (trace: Trace, sdkPath: string) => buildView({ trace, expect: expectationsFor(trace), cassetteUrl: 'cassette.url', timing: 'instant', sdkPath });

/** Issue 11, item 2: Azure keys and the AWS session token were written in full. */
describe('Azure and AWS credentials', () => {
  const AZ_HEADER = 'apim-key-0123456789abcdef0123';
  const FN_HEADER = 'functions-key-ABCDEFGHIJ0123456789';
  const AMZ = 'IQoJb3JpZ2luX2VjEXAMPLEsessionTOKEN0123';
  const SUB = 'sub-query-key-9876543210fedcba';
  const CODE = 'fn-code-QWERTYUIOPasdfghjkl0123';
  const OTHER_CODE = 'other-code-ZXCVBNM0987654321';

  function azureCall() {
    return buildTrace({
      id: 'az',
      timestamp: '2026-01-01T00:00:00.000Z',
      method: 'POST',
      url: `/openai/deployments/d/chat/completions?api-version=2024-10-21&subscription-key=${SUB}&code=${CODE}`,
      requestHeaders: { 'content-type': 'application/json', 'ocp-apim-subscription-key': AZ_HEADER, 'x-functions-key': FN_HEADER, 'x-amz-security-token': AMZ },
      requestBody: enc.encode('{"model":"m","messages":[{"role":"user","content":"write code"}],"code":"print(1)"}'),
      upstream: 'https://example.openai.azure.com',
      response: {
        status: 200,
        statusMessage: 'OK',
        rawHeaders: [['content-type', 'application/json'], ['location', `https://example.azurewebsites.net/api/next?code=${OTHER_CODE}&page=2`], ['ocp-apim-subscription-key', AZ_HEADER]],
        headersMs: 5,
        framing: 'raw',
      },
      frames: [{ frame: { raw: enc.encode('{"choices":[]}'), data: '{"choices":[]}' }, atMs: 12 }],
      firstByteMs: 10,
      durationMs: 20,
      outcome: 'complete',
    });
  }

  it('writes none of them, in headers, the URL or a response location', () => {
    const t = azureCall();
    const text = stringifyTrace(t);
    for (const s of [AZ_HEADER, FN_HEADER, AMZ, SUB, CODE, OTHER_CODE]) expect(text).not.toContain(s);
    expect(t.http.request_headers).toMatchObject({ 'ocp-apim-subscription-key': REDACTED, 'x-functions-key': REDACTED, 'x-amz-security-token': REDACTED });
    expect(t.http.url).toBe('/openai/deployments/d/chat/completions?api-version=2024-10-21&subscription-key=%5BREDACTED%5D&code=%5BREDACTED%5D');
    expect(t.http.response_headers).toContainEqual(['location', 'https://example.azurewebsites.net/api/next?code=%5BREDACTED%5D&page=2']);
  });

  it('`code` is a credential only as a query parameter: a JSON body field named code is kept', () => {
    expect(azureCall().request).toMatchObject({ code: 'print(1)', messages: [{ content: 'write code' }] });
  });

  it('gen leaves them out of defaultQuery', () => {
    const trace = makeOpenAIStreamTrace();
    trace.endpoint = '/openai/v1/chat/completions';
    trace.http.url = '/openai/v1/chat/completions?api-version=2024-10-21&subscription-key=[REDACTED]&code=[REDACTED]&X-Amz-Security-Token=[REDACTED]';
    const v = view(trace, '/chat/completions');
    expect(renderTemplate('q = {{defaultQuery}};', v, 't')).toBe("q = { 'api-version': '2024-10-21' };\n");
  });

  it('replay matches a recording whatever `code` or `subscription-key` the app sends', () => {
    const t = makeOpenAIStreamTrace();
    t.http.url = '/api/chat?code=%5BREDACTED%5D&subscription-key=%5BREDACTED%5D';
    const m = createMatcher([t]);
    const r = m.match({ method: t.http.method, url: '/api/chat?code=anotherCode123456&subscription-key=zzzzzzzzzz', body: JSON.stringify(t.request) });
    expect('trace' in r).toBe(true);
  });
});

/** Issue 11, item 6: a miss explanation showed what the app sent, secrets included. */
describe('replay miss explanations are redacted', () => {
  const BODY_KEY = 'body-api-key-0123456789abcdef';
  const PROMPT_KEY = 'sk-proj-PROMPTabcdefghijklmnop0123';
  const QUERY_KEY = 'AIzaQueryKey0123456789abcdefghijklmnop';
  const HEADER_TOKEN = 'header-bearer-token-0123456789';
  const SECRETS = [BODY_KEY, PROMPT_KEY, QUERY_KEY, HEADER_TOKEN];
  const recorded = makeOpenAIStreamTrace({ messages: [{ role: 'user', content: 'Say hi' }] });
  const sent = (content: string) =>
    JSON.stringify({ ...(recorded.request as object), api_key: BODY_KEY, messages: [{ role: 'user', content }], short: { password: 'pw1' } });

  it('in the message, the request it shows and every difference', () => {
    const m = createKeyMatcher([interactionKey(recorded)]);
    const r = m.match({
      method: 'POST',
      url: `/v1/chat/completions?key=${QUERY_KEY}&extra=1`,
      body: sent(`my key is ${PROMPT_KEY} and ${HEADER_TOKEN}`),
      headers: { authorization: `Bearer ${HEADER_TOKEN}` },
    });
    expect('miss' in r).toBe(true);
    const miss = (r as Extract<typeof r, { miss: unknown }>).miss;
    const text = JSON.stringify(miss);
    for (const s of SECRETS) expect(text).not.toContain(s);
    expect(text).not.toContain('pw1');
    // It still says what differs.
    expect(miss.closest?.differences.map((d) => d.field)).toEqual(expect.arrayContaining(['body.messages[0].content', 'body.api_key']));
    expect(miss.message).toContain(`my key is ${REDACTED}`);
    expect(miss.request.url).toBe('/v1/chat/completions?key=%5BREDACTED%5D&extra=1');
    expect(miss.request.body).toMatchObject({ api_key: REDACTED });
  });

  it('with the user’s own rules', () => {
    const m = createKeyMatcher([interactionKey(recorded)], { redact: { bodyFields: ['session_ref'], patterns: [/corp_[a-z]{12}/] } });
    const r = m.match({ method: 'POST', url: '/v1/chat/completions', body: JSON.stringify({ ...(recorded.request as object), session_ref: 'session-value-1234', note: 'corp_abcdefghijkl' }) });
    const text = JSON.stringify(r);
    expect(text).not.toContain('session-value-1234');
    expect(text).not.toContain('corp_abcdefghijkl');
  });

  describe('in the 404 body the replay server answers', () => {
    let server: ReplayServer;
    beforeAll(async () => {
      const path = join(await mkdtemp(join(tmpdir(), 'tf-miss-redact-')), 'c.yaml');
      await appendToCassette(path, [recorded]);
      server = await startReplayServer({ cassette: path, speed: 0 });
    });
    afterAll(() => server?.close());

    it('holds none of the secrets', async () => {
      const res = await fetch(`${server.url}/v1/chat/completions?key=${QUERY_KEY}`, { method: 'POST', body: sent(`my key is ${PROMPT_KEY}`), headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(404);
      const text = await res.text();
      expect(text).toContain('traceforge_replay_miss');
      for (const s of [BODY_KEY, PROMPT_KEY, QUERY_KEY]) expect(text).not.toContain(s);
      expect(server.misses.map((m) => JSON.stringify(m)).join('')).not.toContain(BODY_KEY);
    });
  });
});
