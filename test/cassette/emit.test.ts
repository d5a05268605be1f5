/**
 * The fast cassette emitter (src/cassette/emit.ts) writes chunks as double-quoted scalars and JSON flow
 * lines instead of going through `yaml`'s node builder. Whatever the data, `yaml` must read back exactly
 * what was written, and the rules cassettes are held to (no aliases, tags...) must still hold.
 */
import fc from 'fast-check';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseCassette, stringifyCassette } from '../../src/cassette/codec.js';
import { stringifyTraceBody } from '../../src/cassette/emit.js';
import type { Trace } from '../../src/trace/types.js';
import { makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';

const sseLike = fc.array(fc.constantFrom('data: {"a":1}', 'event: x', ': ping', '', ' lead', '\tTab', 'x\r', 'é ☃ 😀', '  ', '#c', '- y', '---', '...'), { maxLength: 5 }).map((ls) => ls.join('\n'));
const words = fc.stringMatching(/^[A-Za-z/][A-Za-z0-9 _./()?!,;=+@$%~:#-]{0,12}$/);
const text = fc.oneof(fc.string({ unit: 'binary' }), words, fc.string({ unit: 'grapheme' }), sseLike, sseLike.map((t) => `${t}\n`), sseLike.map((t) => `${t}\n\n\n`), fc.constantFrom('\u2028', '\u0085', '\u007f', '\ufeff', '\uffff', '\ud800', 'a\r\nb', '---', '...', '# x', '&a', '*a', '!!str', '- x', 'key: v', "'", '"', '\\', 'yes', 'null', 'No', '~', 'a: b', 'a #b', 'x ', ' x', '/v1/x', 'What is it?', 'a:b', '.inf', '-1', 'A(b)', ''));
const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(-0, 0, Number.MAX_SAFE_INTEGER, 1e21, 5e-324));
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, text, number, fc.boolean(), fc.constant(null), tie('list'), tie('object')),
  list: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(text, fc.constantFrom('x'.repeat(1100), 'true', 'a b', '', '? q', 'k: v')), tie('value'), { maxKeys: 4, noNullPrototype: false }),
})).value;

const chunk = fc.record(
  { delta_ms: fc.double({ min: 0, max: 1e6, noNaN: true }), event: text, id: text, data: json, raw: text, comments: fc.array(text, { maxLength: 2 }), partial: fc.constant(true) },
  { requiredKeys: ['delta_ms', 'raw'] },
);

describe('fast emitter', () => {
  it('yaml reads back exactly the chunks, body reads and fields written, for any data', () => {
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 6 }), fc.array(fc.record({ delta_ms: fc.double({ min: 0, max: 1e6, noNaN: true }), raw: text }), { maxLength: 3 }), json, (chunks, body, request) => {
        const stream = makeOpenAIStreamTrace({ id: 's' });
        stream.chunks = chunks as Trace['chunks'];
        stream.total_chunks = chunks.length;
        stream.request = request;
        const plain = makeNonStreamTrace({ id: 'p' });
        plain.http.body = body;
        for (const t of [stream, plain]) expect(parse(stringifyTraceBody(t), { uniqueKeys: false })).toEqual(structuredClone(t));
      }),
      { numRuns: 300 },
    );
  });

  it('a whole cassette of such interactions passes the cassette rules and validation', () => {
    fc.assert(
      fc.property(fc.array(chunk, { minLength: 1, maxLength: 4 }), (chunks) => {
        const t = makeOpenAIStreamTrace({ id: 'c' });
        t.chunks = chunks as Trace['chunks'];
        t.total_chunks = chunks.length;
        const c = { version: 2, interactions: [t] };
        expect(parseCassette(stringifyCassette(c), 'c.yaml')).toEqual(c);
      }),
      { numRuns: 200 },
    );
  });

  it('writes each chunk as a few lines, its data as one JSON flow line', () => {
    const t = makeOpenAIStreamTrace({ id: 'd' });
    const out = stringifyTraceBody(t);
    const first = t.chunks![0]!;
    expect(out).toContain(`\n  - delta_ms: ${first.delta_ms}\n`);
    // The frame as it went over the wire, in a literal block.
    expect(out).toContain(`    raw: |+\n      ${first.raw.trimEnd()}\n\n`);
    expect(out).toContain(`    data: ${JSON.stringify(first.data)}\n`);
  });
});
