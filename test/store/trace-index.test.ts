import fc from 'fast-check';
import { mkdtemp, readFile, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTraceRow, WINDOW_BYTES } from '../../src/store/trace-header.js';
import { INDEX_FILE, listTraces, uniquePrefixLength } from '../../src/store/trace-index.js';
import { rowFromMembers, type TraceRow } from '../../src/store/trace-row.js';
import { createTraceStore, traceFileName } from '../../src/store/trace-store.js';
import { stringifyTrace } from '../../src/trace/codec.js';
import { makeAnthropicStreamTrace, makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tf-index-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bigText = (words: number) => Array.from({ length: words }, (_, i) => `w${i}`).join(' ');

describe('listTraces', () => {
  it('lists saved traces newest first with the table fields', async () => {
    const store = createTraceStore(dir);
    await store.save(makeOpenAIStreamTrace({ id: 'old1', timestamp: '2026-01-01T00:00:00.000Z' }));
    await store.save(makeNonStreamTrace({ id: 'new1', timestamp: '2026-03-01T00:00:00.000Z', model: 'gpt-4.1' }));
    await store.save(makeAnthropicStreamTrace({ id: 'mid1', timestamp: '2026-02-01T00:00:00.000Z', status: 529 }));
    const { rows, problems } = await listTraces(dir);
    expect(problems).toEqual([]);
    expect(rows.map((r) => r.id)).toEqual(['new1', 'mid1', 'old1']);
    expect(rows[0]).toMatchObject({ stream: false, chunks: null, model: 'gpt-4.1', http_status: 200, ttfb_ms: 640.25 });
    expect(rows[1]).toMatchObject({ stream: true, provider: 'anthropic', http_status: 529, status: 'error', endpoint: '/v1/messages' });
    const t = makeOpenAIStreamTrace();
    expect(rows[2]).toMatchObject({ chunks: t.total_chunks, ttfb_ms: 312.5, duration_ms: t.metadata.duration_ms });
  });

  it('reads a large trace from its ends only: a corrupt middle does not matter', async () => {
    const store = createTraceStore(dir);
    const path = await store.save(makeOpenAIStreamTrace({ id: 'big', text: bigText(20_000) }));
    const text = await readFile(path, 'utf8');
    expect(text.length).toBeGreaterThan(8 * WINDOW_BYTES);
    // Same size, invalid JSON in the middle: a full parse would fail, a header read does not notice.
    const mid = Math.floor(text.length / 2);
    await writeFile(path, `${text.slice(0, mid)}@@@@${text.slice(mid + 4)}`);
    const { rows, problems } = await listTraces(dir);
    expect(problems).toEqual([]);
    expect(rows[0]).toMatchObject({ id: 'big', chunks: 20_004 }) // role, 20,000 tokens, finish, usage, [DONE];
  });

  it('stays correct when files are added, changed or removed behind the index', async () => {
    const store = createTraceStore(dir);
    await store.save(makeOpenAIStreamTrace({ id: 'aaa', timestamp: '2026-01-01T00:00:00.000Z' }));
    const pathB = await store.save(makeOpenAIStreamTrace({ id: 'bbb', timestamp: '2026-01-02T00:00:00.000Z' }));
    expect((await listTraces(dir)).cached).toBe(0);
    expect((await listTraces(dir)).cached).toBe(2);

    // Added by another process.
    const c = makeNonStreamTrace({ id: 'ccc', timestamp: '2026-01-03T00:00:00.000Z' });
    await writeFile(join(dir, traceFileName(c)), stringifyTrace(c));
    // Changed in place with a new size and mtime.
    await writeFile(pathB, stringifyTrace(makeOpenAIStreamTrace({ id: 'bbb', timestamp: '2026-01-02T00:00:00.000Z', model: 'gpt-5' })));
    let listing = await listTraces(dir);
    expect(listing.rows.map((r) => [r.id, r.model])).toEqual([['ccc', 'gpt-4o-mini'], ['bbb', 'gpt-5'], ['aaa', 'gpt-4o-mini']]);
    expect(listing.cached).toBe(1);

    // Same size, new mtime: still re-read.
    const before = await stat(pathB);
    await writeFile(pathB, (await readFile(pathB, 'utf8')).replaceAll('"gpt-5"', '"gpt-6"'));
    await utimes(pathB, before.atime, new Date(before.mtimeMs + 5000));
    // Removed.
    await unlink(join(dir, traceFileName(c)));
    listing = await listTraces(dir);
    expect(listing.rows.map((r) => [r.id, r.model])).toEqual([['bbb', 'gpt-6'], ['aaa', 'gpt-4o-mini']]);
    const index = JSON.parse(await readFile(join(dir, INDEX_FILE), 'utf8'));
    expect(Object.keys(index.entries).sort()).toEqual(listing.rows.map((r) => r.file).sort());
  });

  it('survives a corrupt index, and reports unreadable files without failing the listing', async () => {
    const store = createTraceStore(dir);
    await store.save(makeOpenAIStreamTrace({ id: 'good' }));
    await writeFile(join(dir, INDEX_FILE), '{not json');
    await writeFile(join(dir, '2026-01-01T00-00-00-000Z_broken.json'), '{"truncated": ');
    const { rows, problems } = await listTraces(dir);
    expect(rows.map((r) => r.id)).toEqual(['good']);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.file).toBe('2026-01-01T00-00-00-000Z_broken.json');
  });

  it('falls back to a full parse for files not laid out by TraceForge (minified)', async () => {
    const t = makeOpenAIStreamTrace({ id: 'mini', text: bigText(8000) });
    await writeFile(join(dir, traceFileName(t)), JSON.stringify(t));
    expect((await listTraces(dir)).rows[0]).toMatchObject({ id: 'mini', chunks: t.total_chunks });
  });

  it('returns nothing for a missing directory', async () => {
    expect(await listTraces(join(dir, 'nope'))).toEqual({ rows: [], problems: [], cached: 0 });
  });
});

describe('readTraceRow', () => {
  it('matches a full parse for traces of any size and shape', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          kind: fc.constantFrom('openai', 'anthropic', 'normal'),
          words: fc.integer({ min: 0, max: 12_000 }),
          prompt: fc.integer({ min: 0, max: 90_000 }),
          status: fc.constantFrom(200, 429, 500),
        }),
        async ({ kind, words, prompt, status }) => {
          const opts = { id: `p${words}`, text: bigText(words), status, messages: [{ role: 'user', content: 'x'.repeat(prompt) }] };
          const t = kind === 'openai' ? makeOpenAIStreamTrace(opts) : kind === 'anthropic' ? makeAnthropicStreamTrace(opts) : makeNonStreamTrace(opts);
          const text = stringifyTrace(t);
          const path = join(dir, 'one.json');
          await writeFile(path, text);
          const row = await readTraceRow(path, 'one.json', Buffer.byteLength(text));
          const full = rowFromMembers('one.json', JSON.parse(text));
          // The prompt column is read only from a request lying whole in the head window (16 KiB).
          if (prompt < 8_000) expect(row).toEqual(full);
          else {
            const { prompt: _cut, ...rest } = full as TraceRow;
            expect(row).toEqual(row.prompt === undefined ? rest : full);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('uniquePrefixLength', () => {
  it('is long enough to tell every id apart', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[a-f0-9]{1,16}$/), { maxLength: 50 }), (ids) => {
        const n = uniquePrefixLength(ids, 1);
        const prefixes = ids.filter((id) => !ids.some((o) => o !== id && o.startsWith(id))).map((id) => id.slice(0, n));
        expect(new Set(prefixes).size).toBe(prefixes.length);
      }),
    );
    expect(uniquePrefixLength(['abcdef01', 'abcdef02'], 4)).toBe(8);
  });
});
