import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildTrace } from '../../src/trace/build.js';
import { stringifyTrace } from '../../src/trace/codec.js';
import { redactBytes, redactString, REDACTED } from '../../src/trace/redact.js';

/**
 * Issue 11, item 1: a key-shaped value right after a JSON escape (`\n`, `\t`, `\r`, `\"`, `\\`, `\/`, `\uXXXX`)
 * inside the raw bytes of a stream was kept, because the patterns started with `\b` and the `n` of `\n`
 * is a word character. Only the parsed `data` lost it.
 */
const enc = new TextEncoder();

/** The JSON escapes a key can follow in a raw JSON string. `\uXXXX` of a character a reader sees as a separator. */
const ESCAPES = ['\\n', '\\t', '\\r', '\\"', '\\\\', '\\/', '\\b', '\\f', '\\u00e9', '\\u003c', '\\u0020', '\\u2028', '\\u00a0'];

const tail = (min: number, max: number, chars = 'A-Za-z0-9_-') => fc.stringMatching(new RegExp(`^[${chars}]{${min},${max}}$`));
/** A secret of every key shape, and the part of it that must never be written. */
const secretArb: fc.Arbitrary<{ text: string; secret: string }> = fc.oneof(
  fc.tuple(fc.constantFrom('', 'proj-', 'ant-api03-', 'svcacct-', 'admin-'), tail(20, 48)).map(([p, t]) => ({ text: `sk-${p}${t}`, secret: `sk-${p}${t}` })),
  tail(30, 40).map((t) => ({ text: `AIza${t}`, secret: `AIza${t}` })),
  fc.tuple(fc.constantFrom('gsk', 'hf', 'ghp', 'xai', 'glpat'), tail(20, 40)).map(([p, t]) => ({ text: `${p}_${t}`, secret: `${p}_${t}` })),
  tail(16, 16, 'A-Z0-9').map((t) => ({ text: `AKIA${t}`, secret: `AKIA${t}` })),
  fc.tuple(tail(12, 30), tail(12, 30), tail(12, 30)).map(([a, b, c]) => ({ text: `eyJ${a}.${b}.${c}`, secret: `eyJ${a}.${b}.${c}` })),
  // The token is what must go; "Bearer" itself stays as a label.
  tail(16, 40, 'A-Za-z0-9').map((t) => ({ text: `Bearer ${t}`, secret: t })),
);

/** A recorded OpenAI-style stream whose one event carries `content` exactly as given (already JSON-escaped). */
function streamed(escapedContent: string) {
  const data = `{"choices":[{"delta":{"content":"${escapedContent}"}}]}`;
  JSON.parse(data); // the generated text is valid JSON, as an upstream would send
  const frame = `data: ${data}\n\n`;
  return buildTrace({
    id: 'esc',
    timestamp: '2026-01-01T00:00:00.000Z',
    method: 'POST',
    url: '/v1/chat/completions',
    requestHeaders: { 'content-type': 'application/json' },
    requestBody: enc.encode('{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}'),
    upstream: 'https://api.example.com',
    response: { status: 200, statusMessage: 'OK', rawHeaders: [['content-type', 'text/event-stream']], headersMs: 5, framing: 'sse' },
    frames: [{ frame: { raw: enc.encode(frame), data }, atMs: 12 }, { frame: { raw: enc.encode('data: [DONE]\n\n'), data: '[DONE]' }, atMs: 14 }],
    firstByteMs: 10,
    durationMs: 20,
    outcome: 'complete',
  });
}

describe('key shapes after a JSON escape', () => {
  const keys = [
    'sk-proj-abcdefghijklmnopqrstuvwx',
    'sk-ant-api03-abcdefghijklmnopqrstuvwxyz',
    'AIzaSyA1234567890abcdefghijklmnopqrstu',
    'gsk_abcdefghijklmnopqrstuv',
    'hf_abcdefghijklmnopqrstuv',
    'ghp_abcdefghijklmnopqrstuv',
    'AKIAABCDEFGHIJKLMNOP',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnop',
  ];

  it('redacts every pattern after every escape, in text and in bytes', () => {
    for (const esc of ESCAPES) {
      for (const k of keys) {
        const raw = `"x${esc}${k}"`;
        expect(redactString(raw), `${esc} ${k}`).toBe(`"x${esc}${REDACTED}"`);
        expect(Buffer.from(redactBytes(enc.encode(raw))).toString('latin1'), `${esc} ${k} bytes`).toBe(`"x${esc}${REDACTED}"`);
      }
      expect(redactString(`"x${esc}Bearer abcdefgh12345678"`)).toBe(`"x${esc}Bearer ${REDACTED}"`);
    }
  });

  it('a bearer token after an escaped tab or newline', () => {
    expect(redactString('"Bearer\\tabcdefgh12345678"')).toBe(`"Bearer ${REDACTED}"`);
    expect(redactString('"x\\nBearer\\nabcdefgh12345678"')).toBe(`"x\\nBearer ${REDACTED}"`);
  });

  it('does not start a key inside an ordinary word', () => {
    for (const text of [
      'task-abcdefghijklmnopqrstuvwx',
      'risk-assessment-for-the-quarter-ahead',
      'whf_abcdefghijklmnopqrstuv',
      'xAIzaSyA1234567890abcdefghijklmnopqrstu',
      'ZAKIAABCDEFGHIJKLMNOP',
      'AKIAABCDEFGHIJKLMNOPQRS',
      'unbearer abcdefgh12345678',
      'keyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnop',
    ]) {
      expect(redactString(text), text).toBe(text);
      expect(redactString(`"x\\n${text}"`), text).toBe(`"x\\n${text}"`);
    }
  });

  it('a built trace holds no key that followed an escape in the raw stream, in any field (property)', () => {
    fc.assert(
      fc.property(secretArb, fc.constantFrom(...ESCAPES), fc.constantFrom('', 'x', 'Hello there.'), fc.constantFrom('', ' more', '\\n', '.'), ({ text, secret }, esc, before, after) => {
        const t = streamed(`${before}${esc}${text}${after}`);
        const written = stringifyTrace(t);
        expect(written).not.toContain(secret);
        for (const c of t.chunks ?? []) {
          expect(JSON.stringify(c)).not.toContain(secret);
        }
        expect(written).toContain(REDACTED);
      }),
      { numRuns: 400 },
    );
  });
});
