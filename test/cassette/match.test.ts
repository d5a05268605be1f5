import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKeyMatcher, createMatcher } from '../../src/cassette/match.js';
import { makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';

const req = (body: unknown, url = '/v1/chat/completions', method = 'POST') => ({ method, url, body: JSON.stringify(body) });

describe('request matching', () => {
  const a = makeOpenAIStreamTrace({ id: 'aaa', messages: [{ role: 'user', content: 'Say hi' }] });
  const b = makeOpenAIStreamTrace({ id: 'bbb', messages: [{ role: 'user', content: 'Say bye' }] });

  it('matches on method, path and canonical JSON body, whatever the key order', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(Object.keys(a.request as object), { minLength: Object.keys(a.request as object).length }), (keys) => {
        const m = createMatcher([a, b]);
        const reordered = Object.fromEntries(keys.map((k) => [k, (a.request as Record<string, unknown>)[k]]));
        const r = m.match(req(reordered));
        expect('trace' in r && r.trace.id).toBe('aaa');
      }),
    );
  });

  it('answers identical requests in recorded order, then repeats the last', () => {
    const first = makeNonStreamTrace({ id: 'one', messages: [{ role: 'user', content: 'x' }] });
    const second = makeNonStreamTrace({ id: 'two', messages: [{ role: 'user', content: 'x' }] });
    const m = createMatcher([first, second]);
    const ids = [0, 1, 2].map(() => {
      const r = m.match(req(first.request));
      return 'trace' in r ? r.trace.id : 'miss';
    });
    expect(ids).toEqual(['one', 'two', 'two']);
    const strict = createMatcher([first, second], { repeat: 'none' });
    strict.match(req(first.request));
    strict.match(req(first.request));
    expect('miss' in strict.match(req(first.request))).toBe(true);
  });

  it('explains a miss: the closest recording and the fields that differ', () => {
    const m = createMatcher([a, b]);
    const body = { ...(a.request as object), messages: [{ role: 'user', content: 'Say hello' }] };
    const r = m.match(req(body));
    if (!('miss' in r)) throw new Error('expected a miss');
    expect(r.miss.closest?.id).toBe('aaa');
    expect(r.miss.closest?.differences).toEqual([{ field: 'body.messages[0].content', recorded: '"Say hi"', received: '"Say hello"' }]);
    expect(r.miss.message).toContain('body.messages[0].content: recorded "Say hi", received "Say hello"');
    expect(r.miss.message).toContain('TRACEFORGE_RECORD=new_episodes');
  });

  it('can ignore volatile body fields and never matches on credential query parameters', () => {
    const m = createMatcher([a], { ignoreBodyFields: ['user'] });
    expect('trace' in m.match(req({ ...(a.request as object), user: 'random-123' }))).toBe(true);
    const g = makeNonStreamTrace({ id: 'g' });
    g.http.url = '/v1beta/models/gemini:generateContent?key=%5BREDACTED%5D&alt=sse';
    g.endpoint = '/v1beta/models/gemini:generateContent';
    const gm = createMatcher([g]);
    expect('trace' in gm.match(req(g.request, '/v1beta/models/gemini:generateContent?alt=sse&key=AIzaRealKey'))).toBe(true);
  });

  it('a miss on an empty cassette says so', () => {
    const r = createMatcher([]).match(req({}));
    expect('miss' in r && r.miss.message).toMatch(/the cassette is empty/);
  });
});

describe('claim: which recording a recorded call is (record --cassette --mode)', () => {
  const key = (i: number, q: string) => ({ id: `id${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'user', content: q }] } });
  it('claims each recording once: the n-th claim of a request gets its n-th recording, in any order of claims; a further one gets none', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', '{"x":1}'), { maxLength: 12 }), fc.integer({ min: 0, max: 1e9 }), (questions, seed) => {
        const keys = questions.map((q, i) => key(i, q));
        const matcher = createKeyMatcher(keys);
        // The same requests, in a shuffled order: each gets a recording of its own request, earliest unclaimed first.
        const order = keys.map((_, i) => i).sort((x, y) => ((x * 7919 + seed) % 101) - ((y * 7919 + seed) % 101) || x - y);
        const claimed = order.map((i) => matcher.claim(key(-1, questions[i]!)));
        expect([...claimed].sort((x, y) => x! - y!)).toEqual(keys.map((_, i) => i));
        claimed.forEach((index, n) => expect(questions[index!]).toBe(questions[order[n]!]));
        for (const q of questions) {
          const firsts = questions.map((p, i) => [p, i] as const).filter(([p]) => p === q).map(([, i]) => i);
          const ofQ = claimed.filter((i) => questions[i!] === q);
          expect(ofQ).toEqual(firsts);
        }
        expect(matcher.claim(key(-1, 'a'))).toBeUndefined();
      }),
    );
  });

  it('a recording with a redacted value is claimed by the call that carries a secret there', () => {
    const matcher = createKeyMatcher([{ id: 'r', method: 'GET', url: '/v1/models?key=[REDACTED]', body: { token: '[REDACTED]' } }]);
    expect(matcher.claim({ id: 'n', method: 'GET', url: '/v1/models?key=[REDACTED]', body: { token: 'sk-secret' } })).toBe(0);
    expect(matcher.claim({ id: 'n', method: 'GET', url: '/v1/models?key=[REDACTED]', body: { token: 'sk-secret' } })).toBeUndefined();
  });
});
