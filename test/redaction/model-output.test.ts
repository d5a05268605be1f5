/**
 * What a model says is not a secret because of a field name (issue 22, item 3). A tool call whose
 * arguments are `{"password":"mellon"}`, streamed over several events, and a request whose JSON schema
 * has `properties.password`, go through the real recorder and replay server unchanged: the replayed body
 * is the provider's, byte for byte, and the rebuilt arguments read "mellon". What is a secret (a value
 * the request carried, or a key shape) is still removed, the same way from `data`, `raw` and the rebuilt
 * response, on SSE and on AWS's binary event-stream. A call that speaks no known LLM protocol (an OAuth
 * token endpoint) keeps the field-name rules for its response.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatBytes, storedToBytes } from '../../src/stream/bytes.js';
import { encodeEventStreamMessage } from '../../src/stream/eventstream-encoder.js';
import { splitFrames } from '../../src/stream/framing.js';
import { buildTrace } from '../../src/trace/build.js';
import { summarize } from '../../src/trace/reconstruct.js';
import { CREDENTIAL_FIELDS, REDACTED, redactString } from '../../src/trace/redact.js';
import type { Trace } from '../../src/trace/types.js';
import { eventStreamChunks } from '../providers/captured.js';
import { piecesAt, recordThenReplay, type ServedStream } from '../providers/captured-upstream.js';

const KEY = 'sk-proj-Zq8Lm2Rt5Vx9Kd3Hf7Jp1Nw4';
const SCHEMA = { type: 'object', properties: { password: { title: 'Password', type: 'string' } }, required: ['password'] };

/** An OpenAI chat stream whose tool call's arguments are `args`, cut into pieces of at most 6 characters. */
function chatStream(args: string, content = ''): Buffer {
  const ev = (delta: unknown, finish: string | null = null) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-x', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const parts: string[] = [ev({ role: 'assistant', content })];
  parts.push(ev({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'secret_retrieval_tool', arguments: '' } }] }));
  for (let i = 0; i < args.length; i += 6) parts.push(ev({ tool_calls: [{ index: 0, function: { arguments: args.slice(i, i + 6) } }] }));
  parts.push(ev({}, 'tool_calls'), 'data: [DONE]\n\n');
  return Buffer.from(parts.join(''));
}

/** An OpenAI chat stream whose text is `texts`, one event each. */
function chatTextStream(texts: readonly string[]): Buffer {
  const ev = (delta: unknown, finish: string | null = null) => `data: ${JSON.stringify({ id: 'c2', object: 'chat.completion.chunk', created: 1, model: 'gpt-x', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  return Buffer.from([ev({ role: 'assistant', content: '' }), ...texts.map((t) => ev({ content: t })), ev({}, 'stop'), 'data: [DONE]\n\n'].join(''));
}

/** A Bedrock converse-stream whose tool input is `input`, in pieces. */
function bedrockStream(input: string): Buffer {
  const msg = (type: string, payload: unknown) => encodeEventStreamMessage({ ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' }, JSON.stringify(payload));
  const out = [msg('messageStart', { role: 'assistant' }), msg('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: 't1', name: 'secret_retrieval_tool' } } })];
  for (let i = 0; i < input.length; i += 7) out.push(msg('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: input.slice(i, i + 7) } } }));
  out.push(msg('contentBlockStop', { contentBlockIndex: 0 }), msg('messageStop', { stopReason: 'tool_use' }), msg('metadata', { usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 }, metrics: { latencyMs: 1 } }));
  return Buffer.from(concatBytes(out));
}

/**
 * A Bedrock InvokeModel stream (Claude): each `chunk` message carries `{bytes: base64}` of one Anthropic
 * event. `texts` are the text deltas, one event each.
 */
function invokeStream(texts: readonly string[]): Buffer {
  const msg = (inner: unknown) =>
    encodeEventStreamMessage({ ':event-type': 'chunk', ':content-type': 'application/json', ':message-type': 'event' }, JSON.stringify({ bytes: Buffer.from(JSON.stringify(inner)).toString('base64'), p: 'abcdef' }));
  const out = [msg({ type: 'message_start', message: { id: 'm1', type: 'message', role: 'assistant', model: 'claude', content: [], usage: { input_tokens: 3, output_tokens: 1 } } })];
  out.push(msg({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }));
  for (const text of texts) out.push(msg({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }));
  out.push(msg({ type: 'content_block_stop', index: 0 }), msg({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 9 } }), msg({ type: 'message_stop', 'amazon-bedrock-invocationMetrics': { inputTokenCount: 3 } }));
  return Buffer.from(concatBytes(out));
}

/** What a reader of an InvokeModel body sees: the text deltas of the Anthropic events inside its chunks, in a row. */
const invokeText = (body: Uint8Array): string =>
  eventStreamChunks(body)
    .map((c) => JSON.parse(Buffer.from((c.data as { bytes: string }).bytes, 'base64').toString('utf8')) as { type: string; delta?: { text?: string } })
    .filter((e) => e.type === 'content_block_delta')
    .map((e) => e.delta!.text)
    .join('');

interface Case {
  path: string;
  headers: Record<string, string>;
  body: string;
  contentType: string;
  served: Buffer;
}

const chatRequest = JSON.stringify({ model: 'gpt-x', stream: true, messages: [{ role: 'user', content: 'retrieve with mellon' }], tools: [{ type: 'function', function: { name: 'secret_retrieval_tool', parameters: SCHEMA } }] });
const CASES: Record<string, Case> = {
  // The model's own words: kept.
  'chat-password': { path: '/v1/chat/completions', headers: { authorization: `Bearer ${KEY}` }, body: chatRequest, contentType: 'text/event-stream', served: chatStream('{"password":"mellon"}') },
  // The model echoes the caller's key: removed.
  'chat-echo': { path: '/v1/chat/completions', headers: { authorization: `Bearer ${KEY}` }, body: chatRequest, contentType: 'text/event-stream', served: chatStream(`{"password":"${KEY}"}`, `key: ${KEY}`) },
  'bedrock-password': { path: '/model/amazon.nova-micro-v1%3A0/converse-stream', headers: { authorization: `Bearer ${KEY}` }, body: '{"messages":[]}', contentType: 'application/vnd.amazon.eventstream', served: bedrockStream('{"password": "radiance"}') },
  'bedrock-echo': { path: '/model/amazon.nova-micro-v1%3A0/converse-stream', headers: { authorization: `Bearer ${KEY}` }, body: '{"messages":[]}', contentType: 'application/vnd.amazon.eventstream', served: bedrockStream(`{"password": "${KEY}"}`) },
  'invoke-password': { path: '/model/anthropic.claude-3-haiku%3A0/invoke-with-response-stream', headers: { authorization: `Bearer ${KEY}` }, body: '{"anthropic_version":"bedrock-2023-05-31","messages":[]}', contentType: 'application/vnd.amazon.eventstream', served: invokeStream(['The password', ' is "mellon".']) },
  // The key whole in one event, and again cut across two events.
  'invoke-echo': { path: '/model/anthropic.claude-3-haiku%3A0/invoke-with-response-stream', headers: { authorization: `Bearer ${KEY}` }, body: '{"anthropic_version":"bedrock-2023-05-31","messages":[]}', contentType: 'application/vnd.amazon.eventstream', served: invokeStream([`key: ${KEY}`, ` and again ${KEY.slice(0, 12)}`, `${KEY.slice(12)}.`]) },
  // The key's head alone in one event is already key-shaped (17 characters after sk-proj-); its rest comes next.
  'chat-key-head': { path: '/v1/chat/completions', headers: { authorization: `Bearer ${KEY}` }, body: chatRequest, contentType: 'text/event-stream', served: chatTextStream([`key: ${KEY.slice(0, 25)}`, `${KEY.slice(25)}`, ' ok']) },
  // No LLM protocol: a token endpoint's access_token is a credential whatever the request carried.
  'oauth-token': { path: '/oauth2/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials', contentType: 'application/json', served: Buffer.from('{"access_token":"ya29.a0AfB_byC-opaque-token","token_type":"Bearer","expires_in":3599}') },
};

function post(base: string, name: string): Promise<Buffer> {
  const c = CASES[name]!;
  return new Promise((resolve, reject) => {
    const u = new URL(base);
    const req = request({ host: u.hostname, port: u.port, method: 'POST', path: `${c.path}${c.path.includes('?') ? '&' : '?'}tf_case=${name}`, headers: { 'content-type': 'application/json', ...c.headers } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => resolve(Buffer.concat(parts)));
    });
    req.on('error', reject);
    req.end(c.body);
  });
}

const rawOf = (t: Trace) => Buffer.from(concatBytes((t.chunks ?? t.http.body ?? []).map((c) => storedToBytes(c.raw, c.raw_encoding))));

describe('redaction keeps what the model said unless it is a secret: recorder, cassette and replay', () => {
  let traces = new Map<string, Trace>();
  let replayed = new Map<string, Buffer>();
  let dir: string;
  let cassetteText = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tf-model-output-'));
    const served = new Map<string, ServedStream>(
      Object.entries(CASES).map(([name, c]) => [name, { status: 200, headers: [['content-type', c.contentType]], pieces: piecesAt(c.served, [5, 40, 41, 97, 150, 151, 300].filter((x) => x < c.served.length), () => 0) }]),
    );
    ({ traces, replayed, cassetteText } = await recordThenReplay(served, post, dir));
  }, 30_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a tool call saying {"password":"mellon"} replays byte for byte, and the rebuilt arguments say mellon', () => {
    const t = traces.get('chat-password')!;
    expect(replayed.get('chat-password')!.equals(CASES['chat-password']!.served)).toBe(true);
    expect(rawOf(t).equals(CASES['chat-password']!.served)).toBe(true);
    expect(summarize(t.metadata.provider, t.response).tool_calls.map((c) => c.arguments)).toEqual([{ password: 'mellon' }]);
    // The request's schema keeps its title; the request's key is gone.
    expect((t.request as { tools: Array<{ function: { parameters: unknown } }> }).tools[0]!.function.parameters).toEqual(SCHEMA);
    expect(t.http.request_headers['authorization']).toBe(REDACTED);
  });

  it('the caller\'s key echoed by the model is removed from data, raw and the rebuilt response alike', () => {
    const t = traces.get('chat-echo')!;
    expect(cassetteText).not.toContain(KEY);
    expect(replayed.get('chat-echo')!.toString()).not.toContain(KEY);
    // Each chunk's raw still says what its data says.
    const frames = splitFrames('sse', rawOf(t));
    expect(frames.map((f) => (f.data === '[DONE]' ? f.data : JSON.parse(f.data!)))).toEqual(t.chunks!.map((c) => c.data));
    const s = summarize(t.metadata.provider, t.response);
    expect(s.text).toBe(`key: ${REDACTED}`);
    expect(JSON.stringify(s.tool_calls)).not.toContain(KEY);
  });

  it('a key whose head, alone in its event, is key-shaped loses its rest in the next event too', () => {
    const t = traces.get('chat-key-head')!;
    const rest = KEY.slice(25);
    expect(rest).toHaveLength(7);
    expect(summarize(t.metadata.provider, t.response).text).toBe(`key: ${REDACTED} ok`);
    expect(rawOf(t).toString()).not.toContain(rest);
    expect(replayed.get('chat-key-head')!.toString()).not.toContain(rest);
    expect(cassetteText).not.toContain(rest);
  });

  it('on Bedrock\'s binary event-stream the trace and the cassette\'s base64 raw agree: a password kept, a key removed in both', () => {
    const kept = traces.get('bedrock-password')!;
    expect(replayed.get('bedrock-password')!.equals(CASES['bedrock-password']!.served)).toBe(true);
    expect(summarize(kept.metadata.provider, kept.response).tool_calls.map((c) => c.arguments)).toEqual([{ password: 'radiance' }]);
    for (const name of ['bedrock-password', 'bedrock-echo']) {
      const t = traces.get(name)!;
      expect(eventStreamChunks(rawOf(t)).map((c) => c.data)).toEqual(t.chunks!.map((c) => c.data));
    }
    const echo = traces.get('bedrock-echo')!;
    expect(JSON.stringify(echo.chunks!.map((c) => c.data))).not.toContain(KEY);
    expect(rawOf(echo).toString('latin1')).not.toContain(KEY);
    expect(replayed.get('bedrock-echo')!.toString('latin1')).not.toContain(KEY);
  });

  it('Bedrock InvokeModel: a key inside the base64 `bytes` is removed from the trace, the cassette\'s raw and the replay alike, with valid CRCs', () => {
    const kept = traces.get('invoke-password')!;
    expect(replayed.get('invoke-password')!.equals(CASES['invoke-password']!.served)).toBe(true);
    expect(rawOf(kept).equals(CASES['invoke-password']!.served)).toBe(true);
    expect(summarize(kept.metadata.provider, kept.response).text).toBe('The password is "mellon".');
    const echo = traces.get('invoke-echo')!;
    // eventStreamChunks decodes each message with its CRCs checked: re-encoded messages are valid.
    expect(eventStreamChunks(rawOf(echo)).map((c) => c.data)).toEqual(echo.chunks!.map((c) => c.data));
    // The key cut across two events is gone too.
    expect(invokeText(rawOf(echo))).toBe(`key: ${REDACTED} and again ${REDACTED}.`);
    expect(invokeText(replayed.get('invoke-echo')!)).toBe(`key: ${REDACTED} and again ${REDACTED}.`);
    expect(cassetteText).not.toContain(Buffer.from(KEY.slice(0, 12)).toString('base64').slice(0, 12));
    const text = summarize(echo.metadata.provider, echo.response).text;
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(KEY.slice(12));
    expect(text.startsWith(`key: ${REDACTED}`)).toBe(true);
  });

  it('a response that is no model output (an OAuth token endpoint) keeps the field-name rules', () => {
    const t = traces.get('oauth-token')!;
    expect(t.metadata.provider).toBe('unknown');
    expect(cassetteText).not.toContain('ya29.a0AfB_byC-opaque-token');
    expect((t.response as { access_token: string }).access_token).toBe(REDACTED);
  });
});

describe('redaction of model output (property)', () => {
  const enc = new TextEncoder();
  /** A call recorded (by buildTrace, as the recorder does) with the caller's key `key`. */
  const recordedCall = (c: Pick<Case, 'path' | 'body' | 'contentType' | 'served'>, framing: 'sse' | 'eventstream', key: string) =>
    buildTrace({
      id: 'p',
      timestamp: '2026-01-01T00:00:00.000Z',
      method: 'POST',
      url: c.path,
      requestHeaders: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      requestBody: enc.encode(c.body),
      upstream: 'https://api.example.com',
      response: { status: 200, statusMessage: 'OK', rawHeaders: [['content-type', c.contentType]], headersMs: 1, framing },
      frames: splitFrames(framing, new Uint8Array(c.served)).map((frame, i) => ({ frame, atMs: i })),
      durationMs: 10,
      outcome: 'complete',
    });
  /** A recorded chat stream whose tool arguments are `args`. */
  const recorded = (args: string, key: string) => recordedCall({ ...CASES['chat-password']!, served: chatStream(args) }, 'sse', key);
  const field = fc.constantFrom(...CREDENTIAL_FIELDS, 'token', 'secret', 'Password');
  // Values a model may write: not key-shaped, not the caller's key.
  const value = fc.stringMatching(/^[a-z][a-z0-9 .,!-]{0,30}$/);
  const key = fc.stringMatching(/^[A-Za-z0-9]{24,40}$/).map((t) => `sk-proj-${t}`);

  it('a credential field name with a non-secret value in a tool call stays as the model wrote it, byte for byte', () => {
    fc.assert(
      fc.property(field, value, key, (name, v, k) => {
        const args = JSON.stringify({ [name]: v, note: `${name} is ${v}` });
        const t = recorded(args, k);
        expect(rawOf(t).toString()).toBe(chatStream(args).toString());
        expect(summarize(t.metadata.provider, t.response).tool_calls[0]!.arguments).toEqual(JSON.parse(args));
      }),
      { numRuns: 60 },
    );
  });

  /** A recorded Bedrock InvokeModel stream of these text deltas. */
  const invoked = (texts: readonly string[], key: string) => recordedCall({ ...CASES['invoke-password']!, served: invokeStream(texts) }, 'eventstream', key);
  /** `text` cut at the given fractions into pieces (empty pieces dropped). */
  const cut = (text: string, at: readonly number[]) => {
    const points = [...new Set(at.map((f) => Math.floor(f * text.length)))].sort((a, b) => a - b);
    return [0, ...points].map((p, i, all) => text.slice(p, all[i + 1] ?? text.length)).filter((x) => x !== '');
  };
  const fractions = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });

  it('Bedrock InvokeModel: text with no secret in the base64 payloads stays byte for byte, however it is cut into events', () => {
    fc.assert(
      fc.property(value, value, key, fractions, (a, b, k, at) => {
        const texts = cut(`The password is ${a}; ${b}`, at);
        const t = invoked(texts, k);
        expect(rawOf(t).equals(invokeStream(texts))).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('Bedrock InvokeModel: the caller\'s key in the base64 payloads, whole or cut across events, is gone from data and raw alike', () => {
    fc.assert(
      fc.property(value, key, fractions, (a, k, at) => {
        const texts = cut(`${a} ${k} ${a}`, at);
        const t = invoked(texts, k);
        expect(invokeText(rawOf(t))).toBe(`${a} ${REDACTED} ${a}`);
        expect(eventStreamChunks(rawOf(t)).map((c) => c.data)).toEqual(t.chunks!.map((c) => c.data));
      }),
      { numRuns: 25 },
    );
  });

  it('the caller\'s key inside the same arguments is removed from raw, data and the rebuilt response', () => {
    fc.assert(
      fc.property(field, value, key, (name, v, k) => {
        const args = JSON.stringify({ [name]: k, other: v });
        const t = recorded(args, k);
        const text = JSON.stringify(t);
        expect(text).not.toContain(k);
        expect(splitFrames('sse', rawOf(t)).map((f) => (f.data === '[DONE]' ? f.data : JSON.parse(f.data!)))).toEqual(t.chunks!.map((c) => c.data));
      }),
      { numRuns: 60 },
    );
  });
});
