/**
 * Truncated, mutated and huge cassette and trace files: loading either gives a valid value or one
 * TraceForgeError line naming the file, never a TypeError, RangeError or a raw YAML/JSON error.
 */
import fc from 'fast-check';
import { readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMatcher } from '../../src/cassette/match.js';
import { planPlayback } from '../../src/replay/plan.js';
import { loadCassette, MAX_V1_CASSETTE_BYTES, writeCassette } from '../../src/store/cassette-file.js';
import { createTraceStore, traceFileName } from '../../src/store/trace-store.js';
import { findTraceProblems } from '../../src/trace/validate.js';
import type { Trace } from '../../src/trace/types.js';
import { makeAnthropicStreamTrace, makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { caught, expectOneLine, tempDir } from './helpers.js';

/** Characters that change how YAML or JSON reads the text around them. */
const SPECIAL = [...':[]{}&*!|>\'"#%@`-?,\n\r\t \\0<=~'].map((c) => c.charCodeAt(0));

/** One edit of a file's bytes: cut it short, overwrite a byte, insert or delete a run. */
type Edit = { kind: 'truncate'; at: number } | { kind: 'set'; at: number; byte: number } | { kind: 'insert'; at: number; bytes: number[] } | { kind: 'delete'; at: number; length: number };

const edit = (size: number): fc.Arbitrary<Edit> => {
  const at = fc.nat({ max: size - 1 });
  const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...SPECIAL));
  return fc.oneof(
    at.map((a) => ({ kind: 'truncate' as const, at: a })),
    fc.record({ kind: fc.constant('set' as const), at, byte }),
    fc.record({ kind: fc.constant('insert' as const), at, bytes: fc.array(byte, { minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 64 }) }),
  );
};

function apply(buf: Buffer, edits: Edit[]): Buffer {
  let out = buf;
  for (const e of edits) {
    const at = Math.min(e.at, out.length);
    if (e.kind === 'truncate') out = out.subarray(0, at);
    else if (e.kind === 'set') out = Buffer.concat([out.subarray(0, at), Buffer.from([e.byte]), out.subarray(at + 1)]);
    else if (e.kind === 'insert') out = Buffer.concat([out.subarray(0, at), Buffer.from(e.bytes), out.subarray(at)]);
    else out = Buffer.concat([out.subarray(0, at), out.subarray(at + e.length)]);
  }
  return out;
}

/** A loaded trace must be usable, not just shaped right: replay can plan it and match against it. */
function expectUsable(traces: Trace[]): void {
  for (const [i, t] of traces.entries()) {
    expect(findTraceProblems(t, `[${i}]`)).toEqual([]);
    planPlayback(t);
  }
  createMatcher(traces);
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => tmp.cleanup());

const small = () => [
  makeOpenAIStreamTrace({ id: 'a1b2c3d4e5f6', text: 'Hi there, friend', seed: 2 }),
  makeNonStreamTrace({ id: 'b1b2c3d4e5f6' }),
];

describe('a truncated or mutated cassette file', () => {
  it('loads to a valid cassette or fails with one line naming the file', async () => {
    const path = join(tmp.dir, 'good.yaml');
    await writeCassette(path, { version: 2, interactions: [...small(), makeAnthropicStreamTrace({ text: 'Short answer' })] });
    const good = await readFile(path);
    const bad = join(tmp.dir, 'mutated.yaml');
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(edit(good.length), { minLength: 1, maxLength: 3 }), async (edits) => {
        await writeFile(bad, apply(good, edits));
        let loaded;
        try {
          loaded = await loadCassette(bad);
        } catch (e) {
          expectOneLine(e, 'E_CASSETTE_INVALID', bad);
          expect((e as Error).message).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: `));
          refused++;
          return;
        }
        expectUsable(loaded.interactions);
        // A broken interaction is left out with one line naming the file, the line and its index.
        for (const w of loaded.warnings ?? []) expect(w).toMatch(/^\S+?(:\d+)?: .*(interactions\[\d+\] is skipped|cut off mid-write)/);
        if (loaded.warnings?.length) refused++;
      }),
      { numRuns: 300 },
    );
    // The property is only meaningful if many edits break the file (refused whole, or an interaction skipped). About 30-45% of them do (90-140 of
    // 300 in repeated runs): most land inside a chunk's quoted or literal text, which stays valid YAML.
    expect(refused).toBeGreaterThan(50);
  });
});

describe('a truncated or mutated trace file', () => {
  it('loads to a valid trace or fails with one line naming the file', async () => {
    const store = createTraceStore(join(tmp.dir, 'traces'));
    const trace = makeOpenAIStreamTrace({ id: 'c1b2c3d4e5f6', text: 'Streaming is fun to test', seed: 5 });
    const path = await store.save(trace);
    const good = await readFile(path);
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(edit(good.length), { minLength: 1, maxLength: 3 }), async (edits) => {
        await writeFile(path, apply(good, edits));
        let loaded;
        try {
          loaded = await store.load('c1b2c3d4e5f6');
        } catch (e) {
          expectOneLine(e, 'E_TRACE_INVALID', path);
          refused++;
          return;
        }
        expectUsable([loaded]);
      }),
      { numRuns: 300 },
    );
    expect(refused).toBeGreaterThan(100);
  });

  it('an empty file, a JSON array and NUL bytes each give one line', async () => {
    const store = createTraceStore(join(tmp.dir, 'odd'));
    const t = makeNonStreamTrace({ id: 'd1b2c3d4e5f6' });
    const path = await store.save(t);
    for (const text of ['', '[]', '\0\0\0\0', 'null', '{"schema_version": 1}', '\uFEFF{}', `${'['.repeat(200_000)}${']'.repeat(200_000)}`]) {
      await writeFile(path, text);
      expectOneLine(await caught(() => store.load('d1b2c3d4e5f6')), 'E_TRACE_INVALID', path);
    }
  });
});

describe('a huge cassette', () => {
  it('is refused from its size alone, without being read', async () => {
    const path = join(tmp.dir, 'huge.yaml');
    await writeFile(path, '');
    // Sparse: takes no disk, and reading it would take seconds and gigabytes.
    await truncate(path, 4 * 1024 ** 3);
    expect((await stat(path)).size).toBeGreaterThan(MAX_V1_CASSETTE_BYTES);
    const e = expectOneLine(await caught(() => loadCassette(path)), 'E_CASSETTE_INVALID', path);
    expect(e.message).toContain(`${4 * 1024 ** 3} bytes is over the ${MAX_V1_CASSETTE_BYTES}-byte limit for a cassette that is one YAML document (version 1)`);
  });
});

export { traceFileName };
