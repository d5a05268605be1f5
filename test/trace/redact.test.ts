import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildTrace } from '../../src/trace/build.js';
import { collectSecrets, redactString, redactUrl, REDACTED } from '../../src/trace/redact.js';
import { stringifyTrace } from '../../src/trace/codec.js';

const enc = new TextEncoder();
const secretArb = fc.stringMatching(/^[A-Za-z0-9_-]{20,40}$/);

function call(headers: Record<string, string>, body: string, url = '/v1/chat/completions', frames: string[] = []) {
  let at = 10;
  return buildTrace({
    id: 'abc',
    timestamp: '2026-01-01T00:00:00.000Z',
    method: 'POST',
    url,
    requestHeaders: headers,
    requestBody: enc.encode(body),
    upstream: 'https://api.example.com',
    response: { status: 200, statusMessage: 'OK', rawHeaders: [['content-type', 'text/event-stream'], ['set-cookie', 'session=abc123456789']], headersMs: 5, framing: 'sse' },
    frames: frames.map((f) => ({ frame: { raw: enc.encode(f), data: f.replace(/^data: /, '').trim() }, atMs: (at += 3) })),
    firstByteMs: 10,
    durationMs: 50,
    outcome: 'complete',
  });
}

describe('redaction', () => {
  it('no secret from the request appears anywhere in the written trace', () => {
    fc.assert(
      fc.property(secretArb, secretArb, fc.constantFrom('authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'cookie'), (secret, other, header) => {
        const value = header === 'authorization' ? `Bearer ${secret}` : header === 'cookie' ? `sid=${secret}; theme=dark` : secret;
        const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: `my key is ${secret}` }], nested: { deep: [secret] } });
        const t = call({ [header]: value, 'x-other': other }, body, `/v1/x?key=${secret}&alt=sse`, [`data: {"echo":"${secret}"}\n\n`]);
        const text = stringifyTrace(t);
        expect(text).not.toContain(secret);
        expect(text).toContain(REDACTED);
        expect(text).toContain(other); // ordinary headers survive
      }),
      { numRuns: 100 },
    );
  });

  it('removes key-shaped values even when they were not in a credential header', () => {
    const keys = ['sk-proj-abcdefghijklmnopqrstuvwx', 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz', 'AIzaSyA1234567890abcdefghijklmnopqrstu', 'gsk_abcdefghijklmnopqrstuv'];
    for (const k of keys) expect(redactString(`token ${k} end`)).toBe(`token ${REDACTED} end`);
    expect(redactString('Authorization: Bearer abcdefgh12345678')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactString('a sketch of sk-ills')).toBe('a sketch of sk-ills');
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.string(), secretArb, (text, s) => {
        const once = redactString(`${text}sk-${s}${text}`, [s]);
        expect(redactString(once, [s])).toBe(once);
      }),
    );
  });

  it('redacts credential query parameters and leaves the rest of the URL byte-identical', () => {
    expect(redactUrl('/v1beta/models/g:streamGenerateContent?alt=sse&key=AIzaSecretValue123')).toBe('/v1beta/models/g:streamGenerateContent?alt=sse&key=%5BREDACTED%5D');
    expect(collectSecrets({}, '/x?key=abcdefghijk')).toEqual(['abcdefghijk']);
  });

  it('blanks credential response headers', () => {
    const t = call({ authorization: 'Bearer sk-test-0123456789abcdefghij' }, '{}');
    expect(t.http.response_headers).toContainEqual(['set-cookie', REDACTED]);
    expect(t.http.request_headers.authorization).toBe(REDACTED);
  });
});
