/**
 * Issue 10: the version 2 cassette, a YAML document stream. Round trip, appends that cost the size of
 * what is appended, a last interaction cut off mid-write, version 1 files, and replay from an index.
 */
import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCassette, stringifyCassette, type Cassette } from '../../src/cassette/codec.js';
import { startReplayServer } from '../../src/replay/replay-server.js';
import { appendToCassette, loadCassette, writeCassette } from '../../src/store/cassette-file.js';
import { indexCassette } from '../../src/store/cassette-index.js';
import type { Trace } from '../../src/trace/types.js';
import { makeAnthropicStreamTrace, makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { tempDir } from '../hostile/helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir('tf-cassette-v2-');
});
afterAll(() => tmp.cleanup());

const ids = (c: Cassette) => c.interactions.map((t) => t.id);
const ask = (t: Trace, content: string): Trace => {
  (t.request as { messages: Array<{ content: string }> }).messages[0]!.content = content;
  return t;
};

/** Arbitrary interactions: any text in ids, requests and raw frames, three providers' shapes. */
const interaction = fc
  .record({
    kind: fc.constantFrom('openai', 'anthropic', 'plain'),
    id: fc.string({ minLength: 1, maxLength: 20 }),
    question: fc.string({ unit: 'binary', maxLength: 30 }),
    raws: fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { minLength: 1, maxLength: 5 }),
    delta: fc.double({ min: 0, max: 1e6, noNaN: true }),
  })
  .map(({ kind, id, question, raws, delta }) => {
    const t = kind === 'openai' ? makeOpenAIStreamTrace({ id }) : kind === 'anthropic' ? makeAnthropicStreamTrace({ id }) : makeNonStreamTrace({ id });
    if (t.request && typeof t.request === 'object' && 'messages' in t.request) ask(t, question);
    if (t.chunks) {
      t.chunks = raws.map((raw, i) => ({ delta_ms: i === 0 ? 0 : delta, raw, data: raw }));
      t.total_chunks = raws.length;
    }
    return t;
  });

describe('the version 2 format', () => {
  it('parse(stringify(x)) deep-equals x for arbitrary interactions', () => {
    fc.assert(
      fc.property(fc.array(interaction, { maxLength: 4 }), (interactions) => {
        const c: Cassette = { version: 2, interactions };
        const text = stringifyCassette(c);
        expect(text).toMatch(/^(#.*\n)+version: 2\n/);
        expect(text.split('\n---\n')).toHaveLength(interactions.length + 1);
        expect(parseCassette(text, 'x.yaml')).toEqual(c);
      }),
      { numRuns: 150 },
    );
  });

  it('reports a problem in the third interaction at its line in the file', () => {
    const text = stringifyCassette({ version: 2, interactions: [makeNonStreamTrace({ id: 'a' }), makeNonStreamTrace({ id: 'b' }), makeNonStreamTrace({ id: 'c' })] });
    const lines = text.split('\n');
    const last = lines.lastIndexOf('---');
    const line = lines.findIndex((l, i) => i > last && /^ +status: 200$/.test(l));
    expect(line).toBeGreaterThan(last);
    lines[line] = lines[line]!.replace('200', '"two hundred"');
    const c = parseCassette(lines.join('\n'), 'fixtures/c.yaml');
    expect(c.interactions.map((t) => t.id)).toEqual(['a', 'b']);
    expect(c.warnings).toEqual([expect.stringMatching(new RegExp(`^fixtures/c\\.yaml:${line + 1}: interactions\\[2\\]\\.http\\.status must be an HTTP status`))]);
  });
});

describe('appending', () => {
  it('three appends load as three, in order, each one write at the end of the file', async () => {
    const path = join(tmp.dir, 'three', 'c.yaml');
    await appendToCassette(path, [makeOpenAIStreamTrace({ id: 'one' })]);
    const first = await readFile(path);
    await appendToCassette(path, [makeNonStreamTrace({ id: 'two' })]);
    await appendToCassette(path, [makeAnthropicStreamTrace({ id: 'three' })]);
    const after = await readFile(path);
    expect(after.subarray(0, first.length)).toEqual(first);
    const c = await loadCassette(path);
    expect(ids(c)).toEqual(['one', 'two', 'three']);
    expect(c.warnings).toBeUndefined();
  });

  it('a last interaction cut off anywhere loads the others with a warning, and the next append repairs the file', async () => {
    const path = join(tmp.dir, 'torn.yaml');
    const whole = [makeOpenAIStreamTrace({ id: 'a' }), makeNonStreamTrace({ id: 'b' }), makeOpenAIStreamTrace({ id: 'c', seed: 4 })];
    await writeCassette(path, { version: 2, interactions: whole });
    const good = await readFile(path);
    const lastStart = good.lastIndexOf('\n---\n') + 1;
    const lastLine = good.subarray(0, lastStart).toString().split('\n').length;
    // Every cut from inside the `---` line to the middle of the closing `...` (cutting right before `---` leaves a whole cassette, cutting only the final newline leaves it whole).
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: lastStart + 1, max: good.length - 2 }), async (cut) => {
        await writeFile(path, good.subarray(0, cut));
        const c = await loadCassette(path);
        expect(ids(c)).toEqual(['a', 'b']);
        expect(c.warnings).toEqual([`${path}: the last interaction (from line ${lastLine}) was cut off mid-write and is ignored; re-record it or delete it (it has no closing \`...\` line)`]);
        await appendToCassette(path, [makeNonStreamTrace({ id: 'd' })]);
        const repaired = await loadCassette(path);
        expect(ids(repaired)).toEqual(['a', 'b', 'd']);
        expect(repaired.warnings).toBeUndefined();
      }),
      { numRuns: 60 },
    );
  });

  it('a broken interaction in the middle is reported with file:line and its index, and the others load', async () => {
    const path = join(tmp.dir, 'middle.yaml');
    await writeCassette(path, { version: 2, interactions: [makeNonStreamTrace({ id: 'a' }), makeNonStreamTrace({ id: 'b' }), makeNonStreamTrace({ id: 'c' })] });
    const text = await readFile(path, 'utf8');
    const second = text.indexOf('\n---\n', text.indexOf('\n---\n') + 1) + 1;
    const broken = `${text.slice(0, second)}---\n${text.slice(second + 4).replace('...\n', '')}`.replace(/^id: b$/m, 'id: [b');
    await writeFile(path, broken);
    const c = await loadCassette(path);
    expect(ids(c)).toEqual(['a', 'c']);
    expect(c.warnings).toEqual([expect.stringMatching(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: invalid YAML.*interactions\\[1\\] is skipped`))]);
  });

  it('a version 1 cassette loads, and its first append migrates it to version 2 keeping every interaction', async () => {
    const path = join(tmp.dir, 'v1.yaml');
    const old = [makeOpenAIStreamTrace({ id: 'old1' }), makeNonStreamTrace({ id: 'old2' })];
    await writeFile(path, `# TraceForge cassette\n${stringify({ version: 1, interactions: old }, { lineWidth: 0, aliasDuplicateObjects: false })}`);
    const loaded = await loadCassette(path);
    expect(loaded.version).toBe(1);
    expect(loaded.interactions).toEqual(old);
    await appendToCassette(path, [makeAnthropicStreamTrace({ id: 'new1' })]);
    expect(await readFile(path, 'utf8')).toMatch(/^(#.*\n)+version: 2\n---\n/);
    const migrated = await loadCassette(path);
    expect(migrated.version).toBe(2);
    expect(migrated.interactions).toEqual([...old, makeAnthropicStreamTrace({ id: 'new1' })]);
  });

  it('costs the size of the new interaction, not of the cassette', async () => {
    const small = join(tmp.dir, 'small.yaml');
    const big = join(tmp.dir, 'big.yaml');
    await writeCassette(small, { version: 2, interactions: [makeOpenAIStreamTrace({ id: 's0' })] });
    await writeCassette(big, { version: 2, interactions: Array.from({ length: 700 }, (_, i) => makeOpenAIStreamTrace({ id: `b${i}` })) });
    const bigSize = (await stat(big)).size;
    // Big enough that reading it once would be over twice the bound below.
    expect(bigSize).toBeGreaterThan(2.5 * 1024 * 1024);
    // Bytes this process read while appending (Linux): a rewrite reads the whole cassette.
    const readBytes = () => Number(/rchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
    const appends = 7;
    if (existsSync('/proc/self/io')) {
      // What the append read is the measure that holds on a busy machine.
      for (let i = 0; i < appends; i++) {
        const before = readBytes();
        await appendToCassette(big, [makeOpenAIStreamTrace({ id: `t${i}` })]);
        expect(readBytes() - before).toBeLessThan(1024 * 1024);
      }
    } else {
      // Elsewhere, time: reading 3 MB of YAML takes a second; the slack is for a busy machine's noise.
      const median = async (path: string) => {
        const times: number[] = [];
        for (let i = 0; i < appends; i++) {
          const t0 = performance.now();
          await appendToCassette(path, [makeOpenAIStreamTrace({ id: `t${i}` })]);
          times.push(performance.now() - t0);
        }
        return times.sort((a, b) => a - b)[3]!;
      };
      const [onSmall, onBig] = [await median(small), await median(big)];
      expect(onBig).toBeLessThan(10 * onSmall + 50);
    }
    expect(ids(await loadCassette(big))).toHaveLength(700 + appends);
  }, 60_000);
});

describe('replaying a cassette by path', () => {
  it('serves from an index, reading each interaction when matched, and passes on the warning', async () => {
    const path = join(tmp.dir, 'served.yaml');
    const traces = [ask(makeOpenAIStreamTrace({ id: 'q1' }), 'first'), ask(makeOpenAIStreamTrace({ id: 'q2', text: 'other words' }), 'second')];
    await writeCassette(path, { version: 2, interactions: traces });
    await appendToCassette(path, [ask(makeOpenAIStreamTrace({ id: 'q3' }), 'third')]);
    await truncate(path, (await stat(path)).size - 10);
    // Small cassettes are parsed whole when indexed; eagerBytes 0 takes the path big ones take.
    expect((await indexCassette(path)).interactions.map((e) => [e.id, e.trace !== undefined])).toEqual([['q1', true], ['q2', true]]);
    const index = await indexCassette(path, { eagerBytes: 0 });
    expect(index.interactions.map((e) => [e.id, e.place !== undefined, e.trace !== undefined])).toEqual([['q1', true, false], ['q2', true, false]]);
    const warnings: string[] = [];
    const fromFile = await startReplayServer({ cassette: index, speed: 0, onWarning: (w) => warnings.push(w) });
    const fromMemory = await startReplayServer({ cassette: traces, speed: 0 });
    try {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('the last interaction');
      for (const t of [...traces].reverse()) {
        const send = (url: string) => fetch(`${url}${t.http.url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(t.request) }).then(async (r) => [r.status, await r.text()]);
        const [a, b] = [await send(fromFile.url), await send(fromMemory.url)];
        expect(a[0]).toBe(200);
        expect(a).toEqual(b);
      }
      expect(fromFile.served).toEqual([1, 0]);
      expect(fromFile.unused()).toEqual([]);
    } finally {
      await fromFile.close();
      await fromMemory.close();
    }
  });
});
