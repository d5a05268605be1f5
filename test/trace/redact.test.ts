import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildTrace } from '../../src/trace/build.js';
import { collectSecrets, createRedaction, redactBytes, redactString, redactUrl, redactValue, requestRedaction, REDACTED } from '../../src/trace/redact.js';
import { createPieceRedactor, redactPieces } from '../../src/trace/redact-pieces.js';
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
        // An ordinary value that contains the secret loses that part, as it should; one that is itself
        // key-shaped (`r8_...` is a Replicate key) is redacted, as it should.
        fc.pre(!other.includes(secret) && redactString(other) === other);
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

describe('credential fields, user rules and cut reads', () => {
  const anyAlphabet = fc.string({ unit: fc.constantFrom(...'abcXYZ019!"#%&\'()*+,-./:;<=>?@[\\]^_`{|}~éß日😀'), minLength: 8, maxLength: 30 }).filter((s) => s.trim() === s && new Set(s).size >= 4 && !REDACTED.includes(s));

  it('collects credential body fields by exact name at any depth, in any case, and never max_tokens', () => {
    const body = JSON.stringify({ max_tokens: 123456789, tokens: 'not-a-secret-1', auth: { ApiKey: 'secret-value-1' }, list: [{ Client_Secret: 'secret-value-2' }], password: 87654321 });
    expect(collectSecrets({}, '/x', body).sort()).toEqual(['87654321', 'secret-value-1', 'secret-value-2']);
    expect(redactValue(JSON.parse(body), createRedaction())).toEqual({ max_tokens: 123456789, tokens: 'not-a-secret-1', auth: { ApiKey: REDACTED }, list: [{ Client_Secret: REDACTED }], password: REDACTED });
  });

  it('collects form and multipart fields, Basic credentials (decoded) and every cookie value', () => {
    expect(collectSecrets({}, '/x', 'grant_type=x&client_secret=s3cr3t-value&refresh_token=r3fr3sh-value')).toEqual(['r3fr3sh-value', 's3cr3t-value']);
    expect(collectSecrets({}, '/x', '--b\r\nContent-Disposition: form-data; name="password"\r\n\r\nhunter2-hunter2\r\n--b--')).toEqual(['hunter2-hunter2']);
    const basic = `Basic ${Buffer.from('alice:pa55-word-x').toString('base64')}`;
    expect(collectSecrets({ authorization: basic })).toEqual(expect.arrayContaining(['alice:pa55-word-x', 'pa55-word-x']));
    expect(collectSecrets({ cookie: 'a=cookie-one-value; b=cookie-two-value' })).toEqual(expect.arrayContaining(['cookie-one-value', 'cookie-two-value']));
  });

  it('user header names, field names and patterns are secrets too', () => {
    const opts = { headers: ['X-Internal-Token'], bodyFields: ['session_ref'], patterns: [/corp-[a-z]{10}/] };
    const r = requestRedaction({ headers: { 'x-internal-token': 'tok-123456789' }, url: '/x?session_ref=ref-123456789', body: '{"a":{"SESSION_REF":"ref-abcdefghi"}}' }, opts);
    const text = redactString('tok-123456789 ref-123456789 ref-abcdefghi corp-abcdefghij {"session_ref": "zzz"}', r);
    expect(text).toBe(`${REDACTED} ${REDACTED} ${REDACTED} ${REDACTED} {"session_ref": "${REDACTED}"}`);
    expect(redactUrl('/x?Session_Ref=abc&alt=sse', r)).toBe('/x?Session_Ref=%5BREDACTED%5D&alt=sse');
    // A pattern without the g flag still replaces every match; an empty match changes nothing.
    expect(redactString('corp-aaaaaaaaaa corp-bbbbbbbbbb', createRedaction({ patterns: [/corp-[a-z]{10}/, /x*/] }))).toBe(`${REDACTED} ${REDACTED}`);
  });

  it('finds an echoed secret in its JSON-escaped, \\u-escaped and percent-encoded forms', () => {
    fc.assert(
      fc.property(anyAlphabet, (s) => {
        const echoes = [JSON.stringify(s), JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`), encodeURIComponent(s), new URLSearchParams({ s }).toString()];
        const out = redactString(echoes.join(' | '), [s]);
        for (const e of [s, ...echoes.map((x) => x.replace(/^"|"$|^s=/g, ''))]) expect(out).not.toContain(e);
      }),
    );
  });

  it('is idempotent with every rule', () => {
    const r = createRedaction({ headers: ['x-t'], bodyFields: ['ref'], patterns: [/corp-\w{6}/] }, ['s3cret-value!']);
    fc.assert(
      fc.property(fc.string(), (text) => {
        const input = `${text}{"ref": ${JSON.stringify(text)}, "password": 12345}s3cret-value!corp-abcdef${text}`;
        const once = redactString(input, r);
        expect(redactString(once, r)).toBe(once);
      }),
    );
  });

  it('however a body is cut into reads, the reads redact to the same body, with the same number of reads', () => {
    fc.assert(
      fc.property(anyAlphabet, fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 8 }), (s, cuts) => {
        const body = Buffer.from(`{"echo":${JSON.stringify(s)},"raw":"${s}","key":"sk-proj-abcdefghijklmnopqrstuvwxyz"}\n`.repeat(4));
        const at = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
        const pieces = [0, ...at].map((from, i) => body.subarray(from, [...at, body.length][i]));
        const whole = Buffer.from(redactBytes(body, [s]));
        const out = redactPieces(pieces, [s]);
        expect(out).toHaveLength(pieces.length);
        expect(Buffer.concat(out)).toEqual(whole);
        expect(whole.toString()).not.toContain('sk-proj-');
        // The streaming form, with a window shorter than the body but longer than any match, gives the same body.
        const streaming = createPieceRedactor<number>([s], 128);
        const released = [...pieces.flatMap((p, i) => streaming.push(p, i, i)), ...streaming.end()];
        expect(Buffer.concat(released.map((h) => h.raw))).toEqual(whole);
        expect(released.map((h) => h.tag)).toEqual(pieces.map((_, i) => i));
      }),
    );
  });

  it('redacts bytes that are not UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from('{"e":"s3cret-value!"}'), Buffer.from([0xff, 0xfe])]);
    expect(Buffer.from(redactBytes(bytes, ['s3cret-value!'])).toString('latin1')).toBe(`{"e":"${REDACTED}"}\xff\xfe`);
  });
});
