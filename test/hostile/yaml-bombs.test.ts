/**
 * YAML features a cassette never uses, in their hostile forms: each is refused with one line that names
 * the file and the line, before anything is expanded. A bomb that were expanded would not finish in the test timeout.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCassette, stringifyCassette } from '../../src/cassette/codec.js';
import { loadCassette } from '../../src/store/cassette-file.js';
import { makeNonStreamTrace } from '../helpers/make-trace.js';
import { caught, expectOneLine, tempDir } from './helpers.js';

/**
 * The one line that reports the problem: the error when it is in the header (the whole cassette is
 * refused), or the warning when it is inside one interaction (that one is skipped, the others load).
 */
const refused = (text: string, source = 'bomb.yaml'): { message: string } => {
  let loaded;
  try {
    loaded = parseCassette(text, source);
  } catch (e) {
    return expectOneLine(e, 'E_CASSETTE_INVALID', source);
  }
  expect(loaded.warnings, 'neither refused nor reported').toHaveLength(1);
  const message = loaded.warnings![0]!;
  expect(message).not.toMatch(/[\r\n]/);
  expect(message).toMatch(/\(interactions\[\d+\] is skipped; the others load/);
  return { message };
};
const refuse = async (text: string, pattern: RegExp) => {
  const { message } = refused(text);
  expect(message).toMatch(pattern);
  return message;
};

/** Ten levels of ten aliases each: 10^10 strings if expanded. */
function billionLaughs(levels = 10): string {
  const lines = ['l0: &l0 "lol"'];
  for (let i = 1; i <= levels; i++) lines.push(`l${i}: &l${i} [${Array.from({ length: 10 }, () => `*l${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\nversion: 1\ninteractions: []\n`;
}

const valid = stringifyCassette({ version: 1, interactions: [makeNonStreamTrace({ id: 'e1b2c3d4e5f6' })] });

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => tmp.cleanup());

describe('YAML bombs and features a cassette never uses', () => {
  it('billion laughs is refused at its first anchor, from a file too', async () => {
    expect(await refuse(billionLaughs(), /^bomb\.yaml:1: YAML anchor &l0 is not allowed in cassettes/)).toBeTruthy();
    const path = join(tmp.dir, 'laughs.yaml');
    await writeFile(path, billionLaughs());
    expectOneLine(await caught(() => loadCassette(path)), 'E_CASSETTE_INVALID', `${path}:1: YAML anchor &l0`);
  });

  it('an alias without an anchor, and a huge anchor name, are refused by line', async () => {
    await refuse('version: 1\ninteractions: *nothing\n', /^bomb\.yaml:2: /);
    const msg = await refuse(`version: &${'a'.repeat(1_000_000)} 1\ninteractions: []\n`, /^bomb\.yaml:1: YAML anchor &a+…a+ is not allowed/);
    expect(msg.length).toBeLessThan(300);
  });

  it('an alias inside an interaction names its line', async () => {
    const text = valid.replace(/^(endpoint: )(.*)$/m, '$1&ep $2').replace(/^(id: ).*$/m, '$1*ep');
    // The alias comes first in the file, so it is what is reported.
    const line = text.split('\n').findIndex((l) => l.includes('*ep')) + 1;
    await refuse(text, new RegExp(`^bomb\\.yaml:${line}: YAML alias \\*ep is not allowed`));
  });

  it('deep nesting, in flow and block style, is refused at the depth limit, before it is parsed', async () => {
    const deep = async (text: string, line: RegExp) => {
      const e = expectOneLine(await caught(() => parseCassette(text, 'bomb.yaml')), 'E_CASSETTE_LIMIT', 'bomb.yaml');
      expect(e.message).toMatch(new RegExp(`^bomb\\.yaml:${line.source}: (the cassette header|interactions\\[0\\]) has lists and mappings nested more than 128 deep \\(limit maxDepth=128\\).*TRACEFORGE_MAX_DEPTH=512`));
    };
    await deep(`version: 1\ninteractions: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, /2/);
    await deep(`version: 1\ninteractions: ${'{a: '.repeat(50_000)}1${'}'.repeat(50_000)}\n`, /2/);
    const block = Array.from({ length: 5000 }, (_, i) => `${' '.repeat(i + 1)}a:`).join('\n');
    await deep(`version: 1\ninteractions:\n${block}\n`, /\d+/);
  });

  it('merge keys are refused, inline or through an alias, in YAML 1.2 and 1.1', async () => {
    await refuse('version: 1\ninteractions:\n  - <<: {schema_version: 1}\n', /^bomb\.yaml:3: YAML merge keys \(<<\) are not allowed/);
    await refuse('base: &b {schema_version: 1}\nversion: 1\ninteractions:\n  - <<: *b\n', /^bomb\.yaml:1: YAML anchor &b/);
    await refuse('%YAML 1.1\n---\nversion: 1\ninteractions:\n  - <<: {schema_version: 1}\n', /^bomb\.yaml:1: %YAML 1\.1 documents are not supported/);
  });

  it('tags are refused, whatever they claim to be', async () => {
    for (const tag of ['!!js/function', '!!js/regexp', '!!python/object/apply:os.system', '!!binary', '!!set', '!!str', '!!float', '!custom', '!<tag:example.com,2000:x>']) {
      const msg = await refuse(`version: 1\ninteractions: []\nx: ${tag} "value"\n`, /^bomb\.yaml:3: YAML tag .* is not allowed in cassettes/);
      expect(msg).toContain('remove it');
    }
    // A core tag the value does not fit is a YAML error before it is a tag problem: one line either way.
    await refuse('version: 1\ninteractions: []\nx: !!timestamp "value"\n', /^bomb\.yaml:3: invalid YAML: !!timestamp expects a date/);
    // In an interaction's request too, where a non-plain value would reach the matcher.
    const text = valid.replace(/^( {2}model: )(.*)$/m, '$1!!binary aGVsbG8=');
    await refuse(text, /^bomb\.yaml:\d+: YAML tag !!binary is not allowed/);
  });

  it('duplicate keys, non-string keys and several documents are refused', async () => {
    await refuse('version: 1\nversion: 1\ninteractions: []\n', /^bomb\.yaml:2: invalid YAML: Map keys must be unique/);
    await refuse('version: 1\ninteractions: []\n? [a, b]\n: 1\n', /^bomb\.yaml:3: a mapping key must be a plain string/);
    await refuse('version: 1\ninteractions: []\n---\nversion: 1\n', /^bomb\.yaml:3: a version 1 cassette is one YAML document, but another starts here/);
  });

  it('any anchor, alias or tag spliced into a valid cassette is refused with one line', () => {
    const lines = valid.split('\n');
    const valueLines = lines.map((l, i) => [l, i] as const).filter(([l]) => /^\s+[a-z_]+: \S/.test(l));
    fc.assert(
      fc.property(fc.constantFrom(...valueLines), fc.constantFrom('&x ', '*x', '!!js/function ', '!t ', '<<: '), ([line, i], insert) => {
        const copy = [...lines];
        copy[i] = insert === '*x' ? line.replace(/: .*$/, ': *x') : insert === '<<: ' ? line.replace(/^(\s+)[a-z_]+/, '$1<<') : line.replace(/: /, `: ${insert}`);
        const e = refused(copy.join('\n'));
        expect(e.message).toMatch(new RegExp(`^bomb\\.yaml:${i + 1}: `));
      }),
      { numRuns: 100 },
    );
  });
});
