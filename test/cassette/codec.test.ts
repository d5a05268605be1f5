import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCassette, stringifyCassette, type Cassette } from '../../src/cassette/codec.js';
import { makeAnthropicStreamTrace, makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';

const roundTrip = (c: Cassette) => parseCassette(stringifyCassette(c), 'x.yaml');

describe('cassette codec', () => {
  it('read(write(x)) equals x for realistic interactions', () => {
    const c: Cassette = { version: 2, interactions: [makeOpenAIStreamTrace({ seed: 3 }), makeAnthropicStreamTrace(), makeNonStreamTrace()] };
    expect(roundTrip(c)).toEqual(c);
  });

  it('keeps any raw frame text byte-identical through YAML (CR, tabs, unicode, trailing spaces, YAML-special text)', () => {
    const base = makeOpenAIStreamTrace();
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { minLength: 1, maxLength: 6 }), fc.double({ min: 0, max: 1e6, noNaN: true }), (raws, delta) => {
        const t = structuredClone(base);
        t.chunks = raws.map((raw, i) => ({ delta_ms: i === 0 ? 0 : delta, raw, data: raw }));
        t.total_chunks = raws.length;
        const c: Cassette = { version: 2, interactions: [t] };
        expect(roundTrip(c)).toEqual(c);
      }),
      { numRuns: 200 },
    );
  });

  it('reports problems with file and line, and skips only that interaction', () => {
    const text = stringifyCassette({ version: 2, interactions: [makeNonStreamTrace(), makeNonStreamTrace({ id: 'fine' })] });
    const broken = text.replace(/status: 200/, 'status: "two hundred"');
    const line = broken.split('\n').findIndex((l) => l.includes('two hundred')) + 1;
    const c = parseCassette(broken, 'fixtures/chat.yaml');
    expect(c.interactions.map((t) => t.id)).toEqual(['fine']);
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings![0]).toMatch(new RegExp(`^fixtures/chat\\.yaml:${line}: interactions\\[0\\]\\.http\\.status must be an HTTP status.*\\(interactions\\[0\\] is skipped; the others load`));
  });

  it('rejects bad YAML, wrong versions, empty files and aliases with one clear line', () => {
    expect(() => parseCassette('version: 1\ninteractions: [\n', 'a.yaml')).toThrow(/^a\.yaml:\d+: invalid YAML/);
    expect(() => parseCassette('version: 9\ninteractions: []\n', 'b.yaml')).toThrow(/^b\.yaml:1: version is 9; this TraceForge reads cassette versions 1 and 2/);
    expect(() => parseCassette('', 'c.yaml')).toThrow(/c\.yaml:1: the cassette is empty/);
    const bomb = 'a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\nversion: 1\ninteractions: []\n';
    expect(() => parseCassette(bomb, 'd.yaml')).toThrow(/d\.yaml:\d+: .*alias/i);
    expect(parseCassette('version: 1\ninteractions: [1]\n', 'e.yaml').warnings).toEqual([expect.stringMatching(/^e\.yaml:2: interactions\[0\] must be an object.*interactions\[0\] is skipped/)]);
  });

  it('accepts a cassette with no interactions yet', () => {
    expect(parseCassette('version: 1\ninteractions:\n', 'f.yaml').interactions).toEqual([]);
    expect(parseCassette('version: 2\n', 'f.yaml').interactions).toEqual([]);
  });
});
