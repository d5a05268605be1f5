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
import { bodyRead, chunk, json } from '../helpers/cassette-arbitraries.js';

describe('fast emitter', () => {
  it('yaml reads back exactly the chunks, body reads and fields written, for any data', () => {
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 6 }), fc.array(bodyRead, { maxLength: 3 }), json, (chunks, body, request) => {
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
