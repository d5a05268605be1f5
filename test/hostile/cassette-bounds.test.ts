/**
 * Hostile cassettes far below the 64 MiB document limit: many chunks, one huge scalar, deep nesting.
 * Each is refused while it is read, in a bounded time and memory, with one line that names the
 * interaction, the limit and how to raise it; anything within the limits loads exactly as written.
 */
import { truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cassetteHeader, stringifyCassette, stringifyInteraction } from '../../src/cassette/codec.js';
import { safeJson } from '../../src/util/visible.js';
import { DEFAULT_LIMITS, resolveLimits, type CassetteLimits } from '../../src/cassette/bounds.js';
import { loadCassette } from '../../src/store/cassette-file.js';
import type { Trace } from '../../src/trace/types.js';
import { makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { caught, expectOneLine, tempDir } from './helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => tmp.cleanup());

const ENV: Record<keyof CassetteLimits, string> = {
  maxChunks: 'TRACEFORGE_MAX_CHUNKS',
  maxKeys: 'TRACEFORGE_MAX_KEYS',
  maxScalarBytes: 'TRACEFORGE_MAX_SCALAR_BYTES',
  maxDepth: 'TRACEFORGE_MAX_DEPTH',
};

function expectLimit(e: unknown, path: string, limit: keyof CassetteLimits, index: number): void {
  const err = expectOneLine(e, 'E_CASSETTE_LIMIT', path);
  expect(err.message).toContain(`interactions[${index}] has`);
  expect(err.message).toContain(`limit ${limit}=`);
  expect(err.message).toContain(ENV[limit]);
}

/** Load `path` while sampling RSS: how long it took and how far RSS rose above where it started. */
async function measured(path: string): Promise<{ error: unknown; ms: number; rssRiseMb: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 2);
  const t0 = performance.now();
  const error = await caught(() => loadCassette(path));
  const ms = performance.now() - t0;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { error, ms, rssRiseMb: (peak - before) / 1e6 };
}

describe('40 MB hostile cassettes', () => {
  const header = 'version: 2\n---\n';
  // Made from Buffers (a 40 MB string written as UTF-8 took longer than the refusal). Each file is 40 MB,
  // but only its first part is written: twice what the refusal needs, then the size is set with truncate.
  // The reader never gets past the refusal, so what the rest holds does not matter.
  const file = (...parts: Array<string | Buffer>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
  const item = '  - delta_ms: 0\n    raw: "x"\n';
  const cases: Array<[string, () => Buffer, keyof CassetteLimits]> = [
    // One interaction of 10^6 chunks (before: loadCassette took 101 s and 3.6 GB).
    ['a million chunks', () => file(`${header}schema_version: 3\nchunks:\n`, Buffer.alloc(item.length * DEFAULT_LIMITS.maxChunks * 2, item)), 'maxChunks'],
    // One 40 MB double-quoted string (before: 1.6-1.8 GB).
    ['a 40 MB string', () => file(`${header}schema_version: 3\nid: "`, Buffer.alloc(DEFAULT_LIMITS.maxScalarBytes * 2, 'a')), 'maxScalarBytes'],
    // A million brackets deep (before: "cannot be read" from 3,000 levels: yaml's own stack gave out).
    ['a million levels of nesting', () => file(`${header}schema_version: 3\nrequest: `, Buffer.alloc(1_000_000, '[')), 'maxDepth'],
  ];
  for (const [name, make, limit] of cases) {
    it(`${name}: refused while read, in seconds and well under 200 MB more`, async () => {
      const path = join(tmp.dir, `${limit}.yaml`);
      await writeFile(path, make());
      await truncate(path, 40_000_000);
      const { error, ms, rssRiseMb } = await measured(path);
      expectLimit(error, path, limit, 0);
      // Idle: 10-400 ms and 20-60 MB (the read buffer and the document read so far). Loose for load 8.
      expect(ms).toBeLessThan(5000);
      expect(rssRiseMb).toBeLessThan(200);
    }, 30_000);
  }
});

describe('limits', () => {
  it('are raised by environment variable or option, and a bad value is a usage error', async () => {
    expect(resolveLimits({})).toEqual(DEFAULT_LIMITS);
    expect(resolveLimits({ TRACEFORGE_MAX_CHUNKS: '1000000' }).maxChunks).toBe(1_000_000);
    expect(resolveLimits({ TRACEFORGE_MAX_DEPTH: '9' }, { maxDepth: 300 }).maxDepth).toBe(300);
    for (const bad of ['0', '-1', '1e6', ' 5', 'lots']) {
      const e = expectOneLine(await caught(() => resolveLimits({ TRACEFORGE_MAX_KEYS: bad })), 'E_USAGE', 'TRACEFORGE_MAX_KEYS');
      expect(e.message).toMatch(/is not a positive whole number/);
    }
    // The same cassette: refused under a low limit, loaded under the default.
    const path = join(tmp.dir, 'raise.yaml');
    await writeFile(path, stringifyCassette({ version: 2, interactions: [makeOpenAIStreamTrace({ id: 'aa', text: 'one two three four five six' })] }));
    expectLimit(await caught(() => loadCassette(path, { limits: { maxChunks: 3 } })), path, 'maxChunks', 0);
    expect((await loadCassette(path)).interactions).toHaveLength(1);
  });
});

/** A value `depth` levels deep, alternating lists and mappings. */
const nested = (depth: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v, 1] : { k: v };
  return v;
};

describe('generated hostile cassettes', () => {
  // Small limits keep each run small; the regimes are far apart (within: at most half a limit, over: at
  // least twice), so the interaction's own few fields and levels cannot blur which is which.
  const limits: CassetteLimits = { maxChunks: 40, maxKeys: 60, maxScalarBytes: 4000, maxDepth: 40 };
  const regime = (limit: number) => fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: Math.floor(limit / 2) - 12 }) }, { weight: 1, arbitrary: fc.integer({ min: limit * 2, max: limit * 3 }) });
  const phrase = fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b.filter((x) => x !== 10 && x !== 13)).toString('latin1'));

  it('load exactly as written within the limits, or are refused with one line naming the interaction and the limit', async () => {
    const path = join(tmp.dir, 'gen.yaml');
    let refusedCount = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          chunks: regime(limits.maxChunks),
          keys: regime(limits.maxKeys),
          scalar: regime(limits.maxScalarBytes),
          blockDepth: regime(limits.maxDepth),
          flowDepth: regime(limits.maxDepth),
          phrase,
          at: fc.nat(2),
          layout: fc.constantFrom('ours', 'ours-crlf', 'json', 'json-pretty', 'yaml-library'),
          others: fc.array(phrase, { minLength: 2, maxLength: 2 }),
        }),
        async (g) => {
          const hostile = makeNonStreamTrace({ id: 'hostile' });
          hostile.http.status_message = g.phrase;
          // At least one chunk: the first one's `data` carries the flow nesting.
          hostile.chunks = Array.from({ length: g.chunks + 1 }, (_, i) => ({ delta_ms: i === 0 ? 0 : 1.5, raw: `data: ${i}\n\n`, data: i === 0 ? nested(g.flowDepth) : i }));
          hostile.total_chunks = g.chunks + 1;
          // `é` is two bytes in the file: the limit counts bytes.
          hostile.request = { big: 'é'.repeat(Math.ceil(g.scalar / 2)), deep: nested(g.blockDepth), wide: Object.fromEntries(Array.from({ length: g.keys }, (_, i) => [`k${i}`, i])) };
          const all: Trace[] = g.others.map((p, i) => {
            const t = makeNonStreamTrace({ id: `good${i}` });
            t.http.status_message = p;
            return t;
          });
          all.splice(g.at, 0, hostile);
          // The hostile interaction as TraceForge writes it, or as other YAML writers lay it out (the scan
          // must count the same in flow style, with CRLF line ends, at other indentations).
          const written = (t: Trace): string => {
            if (t !== hostile || g.layout === 'ours') return stringifyInteraction(t);
            if (g.layout === 'ours-crlf') return stringifyInteraction(t).replaceAll('\n', '\r\n');
            if (g.layout === 'json') return `---\n${safeJson(t)}\n...\n`;
            if (g.layout === 'json-pretty') return `---\n${safeJson(t, 1)}\n...\n`;
            return `---\n${stringify(t, { lineWidth: 0, aliasDuplicateObjects: false })}...\n`;
          };
          await writeFile(path, cassetteHeader() + all.map(written).join(''));
          const over = (['chunks', 'keys', 'scalar', 'blockDepth', 'flowDepth'] as const).filter((k) => g[k] >= limits[k === 'chunks' ? 'maxChunks' : k === 'keys' ? 'maxKeys' : k === 'scalar' ? 'maxScalarBytes' : 'maxDepth'] * 2);
          let loaded;
          try {
            loaded = await loadCassette(path, { limits });
          } catch (e) {
            expect(over.length, `refused within the limits: ${(e as Error).message}`).toBeGreaterThan(0);
            const err = expectOneLine(e, 'E_CASSETTE_LIMIT', path);
            expect(err.message).toContain(`interactions[${g.at}] has`);
            expect(err.message).toMatch(/TRACEFORGE_MAX_[A-Z_]+=\d+/);
            refusedCount++;
            return;
          }
          expect(over).toEqual([]);
          expect(loaded.warnings).toBeUndefined();
          // Exactly as written: the reason phrases too, whatever bytes they hold.
          expect(loaded.interactions).toEqual(JSON.parse(JSON.stringify(all)));
          expect(loaded.interactions.map((t) => t.http.status_message)).toEqual(all.map((t) => t.http.status_message));
        },
      ),
      { numRuns: 40 },
    );
    expect(refusedCount).toBeGreaterThan(5);
  });

  it('an interaction with a bad field among good ones is skipped with its index, and the good ones load', async () => {
    const path = join(tmp.dir, 'one-bad.yaml');
    const good = [makeNonStreamTrace({ id: 'g0' }), makeNonStreamTrace({ id: 'g2' })];
    const text = stringifyCassette({ version: 2, interactions: [good[0]!, makeNonStreamTrace({ id: 'bad1' }), good[1]!] }).replace(/^id: bad1$/m, 'id: [not, a, string]');
    await writeFile(path, text);
    const loaded = await loadCassette(path);
    expect(loaded.interactions.map((t) => t.id)).toEqual(['g0', 'g2']);
    expect(loaded.warnings).toEqual([expect.stringMatching(/:\d+: interactions\[1\]\.id must be a string.*interactions\[1\] is skipped/)]);
    expect(loaded.warnings![0]).not.toMatch(/[\r\n]/);
  });

  it('an interaction that is no YAML at all (2 MB of `]` lines) is skipped without parsing it, and the others load', async () => {
    const path = join(tmp.dir, 'garbage.yaml');
    const [a, b] = [makeNonStreamTrace({ id: 'g0' }), makeNonStreamTrace({ id: 'g2' })];
    // `yaml` reports each line as an error: 22 s and 1.7 GB for these 2 MB.
    await writeFile(path, `${cassetteHeader()}${stringifyInteraction(a)}---\nid: x\n${']\n'.repeat(1_000_000)}...\n${stringifyInteraction(b)}`);
    const t0 = performance.now();
    const loaded = await loadCassette(path);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(loaded.interactions.map((t) => t.id)).toEqual(['g0', 'g2']);
    expect(loaded.warnings).toEqual([expect.stringMatching(/:\d+: invalid YAML: `\]` where no flow collection is open \(interactions\[1\] is skipped/)]);
  });
});
