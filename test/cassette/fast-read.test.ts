/**
 * The fast reader (src/cassette/fast-read.ts) reads what the emitter wrote without `yaml`, and gives up
 * on anything else. Whatever the text, it must give exactly what `yaml` gives under the cassette rules,
 * or nothing: the emitter's own output (the fast path), and the same output edited by hand (comments,
 * reordered or quoted keys, block and flow styles, odd indentation, anchors and tags, repeated keys), where
 * it either still reads the edit exactly or leaves it to `yaml` (the fallback).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCassette, stringifyCassette, stringifyInteraction } from '../../src/cassette/codec.js';
import { readEmitted } from '../../src/cassette/fast-read.js';
import { parseYaml } from '../../src/cassette/yaml-rules.js';
import type { Trace } from '../../src/trace/types.js';
import { makeAnthropicStreamTrace, makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { bodyRead, chunk, json, text } from '../helpers/cassette-arbitraries.js';

/** What the full parser reads, under the cassette rules, or the error it throws. */
function full(doc: string): { value: unknown } | { error: string } {
  try {
    return { value: parseYaml(doc, 'c.yaml').value };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Equal values, -0 and prototypes told apart (toStrictEqual compares an own `constructor` key's value as the class). */
function same(a: unknown, b: unknown): void {
  if (!isDeepStrictEqual(a, b)) expect(a).toStrictEqual(b);
  expect(isDeepStrictEqual(a, b)).toBe(true);
}

/** The property: the fast reader gives what the full parser gives, or leaves the document to it. */
function agrees(doc: string): unknown {
  const fast = readEmitted(doc);
  const slow = full(doc);
  if (fast === undefined) return undefined;
  expect(slow).toHaveProperty('value');
  same(fast, (slow as { value: unknown }).value);
  return fast;
}

const trace = fc
  .tuple(fc.constantFrom(makeOpenAIStreamTrace, makeAnthropicStreamTrace, makeNonStreamTrace), fc.array(chunk, { maxLength: 4 }), fc.array(bodyRead, { maxLength: 2 }), json, text)
  .map(([make, chunks, body, request, id]): Trace => {
    const t = make({ id: 'x' });
    t.id = id;
    t.request = request;
    if (t.chunks) {
      t.chunks = chunks as Trace['chunks'];
      t.total_chunks = chunks.length;
    } else t.http.body = body;
    return t;
  });

// Edits a person makes in an editor, applied at a line: each keeps or breaks the YAML, and changes or keeps its meaning.
type Edit = (lines: string[], at: number) => void;
const indentOf = (l: string) => l.length - l.trimStart().length;
const edits: Record<string, Edit> = {
  comment: (ls, at) => ls.splice(at, 0, `${' '.repeat(indentOf(ls[at] ?? ''))}# a note`),
  commentAtColumn0: (ls, at) => ls.splice(at, 0, '# a note'),
  trailingComment: (ls, at) => (ls[at] += ' # why'),
  blankLine: (ls, at) => ls.splice(at, 0, ''),
  spacesLine: (ls, at) => ls.splice(at, 0, '   '),
  trailingSpace: (ls, at) => (ls[at] += ' '),
  moreIndent: (ls, at) => (ls[at] = ` ${ls[at]}`),
  lessIndent: (ls, at) => (ls[at] = ls[at]!.replace(/^ /, '')),
  quoteKey: (ls, at) => (ls[at] = ls[at]!.replace(/^(\s*(?:- )?)([A-Za-z_][A-Za-z0-9_]*):/, '$1"$2":')),
  singleQuoteKey: (ls, at) => (ls[at] = ls[at]!.replace(/^(\s*(?:- )?)([A-Za-z_][A-Za-z0-9_]*):/, "$1'$2':")),
  doubleSpace: (ls, at) => (ls[at] = ls[at]!.replace(': ', ':  ')),
  tabAfterColon: (ls, at) => (ls[at] = ls[at]!.replace(': ', ':\t')),
  duplicate: (ls, at) => ls.splice(at, 0, ls[at]!),
  swapWithNext: (ls, at) => ls.splice(at, 2, ...ls.slice(at, at + 2).reverse()),
  anchor: (ls, at) => (ls[at] = ls[at]!.replace(': ', ': &a ')),
  tag: (ls, at) => (ls[at] = ls[at]!.replace(': ', ': !!str ')),
  folded: (ls, at) => (ls[at] = ls[at]!.replace(/: [|]/, ': >')),
  keepToClip: (ls, at) => (ls[at] = ls[at]!.replace(/: [|][+-]?$/, ': |')),
  literalIndicator: (ls, at) => (ls[at] = ls[at]!.replace(/: [|]([+-]?)$/, ': |2$1')),
  plainToDouble: (ls, at) => (ls[at] = ls[at]!.replace(/: ([A-Za-z/][^'"]*)$/, ': "$1"')),
  plainToSingle: (ls, at) => (ls[at] = ls[at]!.replace(/: ([A-Za-z/][^'"]*)$/, ": '$1'")),
  flowToBlock: (ls, at) => (ls[at] = ls[at]!.replace(/: \{"([A-Za-z]+)":(.*)\}$/, ': {$1: $2}')),
  flowSpaces: (ls, at) => (ls[at] = ls[at]!.replace(/,"/g, ', "')),
  crlf: (ls, at) => (ls[at] += '\r'),
  yes: (ls, at) => (ls[at] = ls[at]!.replace(/: (true|false)$/, (_, b: string) => `: ${b === 'true' ? 'True' : 'off'}`)),
  number: (ls, at) => (ls[at] = ls[at]!.replace(/: (\d+)$/, ': 0x$1')),
  cutLine: (ls, at) => (ls[at] = ls[at]!.slice(0, Math.floor(ls[at]!.length / 2))),
  dropLine: (ls, at) => ls.splice(at, 1),
  nullValue: (ls, at) => (ls[at] = ls[at]!.replace(/: .*$/, ':')),
};
const edit = fc.tuple(fc.constantFrom(...Object.keys(edits)), fc.nat());

describe('fast cassette reader', () => {
  it('reads every interaction the emitter writes exactly as yaml does (the fast path)', () => {
    let fastPath = 0;
    fc.assert(
      fc.property(trace, (t) => {
        const doc = stringifyInteraction(t);
        const read = agrees(doc);
        // Only keys over 1000 characters (`? key` entries) and raw U+2028/U+2029 are left to yaml.
        if (!/^\s*(- )?\? /m.test(doc) && !/[\u2028\u2029]/.test(doc)) expect(read).toBeDefined();
        if (read !== undefined) {
          fastPath++;
          same(read, structuredClone(t));
        }
      }),
      { numRuns: 150 },
    );
    expect(fastPath).toBeGreaterThan(75);
  });

  it('reads a document edited by hand as yaml does, or leaves it to yaml (the fallback)', () => {
    let fallback = 0;
    let edited = 0;
    fc.assert(
      fc.property(trace, fc.array(edit, { minLength: 1, maxLength: 3 }), (t, picked) => {
        const lines = stringifyInteraction(t).split('\n');
        for (const [name, n] of picked) edits[name]!(lines, 1 + (n % Math.max(1, lines.length - 3)));
        const doc = lines.join('\n');
        if (agrees(doc) === undefined) fallback++;
        else edited++;
      }),
      { numRuns: 300 },
    );
    // Both paths were taken: edits the reader still reads exactly (a comment line, a quoted key), and ones it leaves to yaml.
    expect(fallback).toBeGreaterThan(30);
    expect(edited).toBeGreaterThan(30);
  });

  it('a whole cassette reads the same through the fast path and, edited, through the fallback', () => {
    const a = makeOpenAIStreamTrace({ id: 'a' });
    const b = makeNonStreamTrace({ id: 'b' });
    const written = stringifyCassette({ version: 2, interactions: [a, b] });
    expect(parseCassette(written, 'c.yaml').interactions).toStrictEqual([a, b]);
    // Reordered keys, comments, a quoted key, a folded block and a flow mapping, as a person might write them.
    const byHand = written
      .replace('schema_version: 1\nid: a\n', 'id: a # the first\nschema_version: 1\n')
      .replace('  method: POST\n', '  # edited\n  "method": POST\n')
      .replace('  status_message: OK\n', '  status_message: >-\n    OK\n')
      .replace(/request_headers:\n {4}"content-type": application\/json\n {4}authorization: '\[REDACTED\]'\n/g, "request_headers: { content-type: application/json, authorization: '[REDACTED]' }\n");
    const docs = byHand.split(/^(?=---$)/m).slice(1);
    expect(docs.map((d) => readEmitted(d))).toEqual([undefined, undefined]);
    const read = parseCassette(byHand, 'c.yaml');
    expect(read.warnings).toBeUndefined();
    expect(read.interactions).toStrictEqual([a, b]);
  });

  it('loads a cassette it wrote without loading yaml at all', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-fast-'));
    try {
      const file = join(dir, 'c.yaml');
      writeFileSync(file, stringifyCassette({ version: 2, interactions: [makeOpenAIStreamTrace({ id: 'a' }), makeNonStreamTrace({ id: 'b' })] }));
      const script = `import { loadCassette } from ${JSON.stringify(new URL('../../dist/store/cassette-file.js', import.meta.url).href)};
        import { createRequire } from 'node:module';
        const c = await loadCassette(${JSON.stringify(file)});
        const yaml = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('/node_modules/yaml/'));
        console.log(JSON.stringify({ n: c.interactions.length, yaml: yaml.length }));`;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(JSON.parse(out)).toEqual({ n: 2, yaml: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
