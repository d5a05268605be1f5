/**
 * The parse cache (src/store/cassette-cache.ts): the same bytes opened again are read from one JSON file,
 * and nothing in the cache is trusted over the cassette: a changed file is read again, a corrupt, truncated
 * or foreign cache file is ignored, and the cache can be turned off.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Cassette } from '../../src/cassette/codec.js';
import { indexCassette } from '../../src/store/cassette-index.js';
import type { Trace } from '../../src/trace/types.js';
import { loadCassette, writeCassette } from '../../src/store/cassette-file.js';
import { makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';

let dir: string;
let cache: string;
const before = process.env.TRACEFORGE_CACHE_DIR;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tf-cache-'));
});
afterEach(async () => {
  process.env.TRACEFORGE_CACHE_DIR = before;
  if (before === undefined) delete process.env.TRACEFORGE_CACHE_DIR;
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function fresh(name: string): Promise<string> {
  cache = join(dir, `${name}-cache`);
  process.env.TRACEFORGE_CACHE_DIR = cache;
  return join(dir, `${name}.yaml`);
}
const cached = async () => (await readdir(cache).catch(() => [])).filter((n) => n.endsWith('.json'));

/** A cassette of these interactions, loaded once: its path, the cache file that load kept, and that file's text. */
async function loadedOnce(name: string, interactions: Trace[]): Promise<{ path: string; cassette: Cassette; file: string; text: string }> {
  const path = await fresh(name);
  const cassette: Cassette = { version: 2, interactions };
  await writeCassette(path, cassette);
  await loadCassette(path);
  const [kept] = await cached();
  const file = join(cache, kept!);
  return { path, cassette, file, text: await readFile(file, 'utf8') };
}

describe('cassette parse cache', () => {
  it('keeps what was read, and the same bytes read again give the same cassette and index', async () => {
    const path = await fresh('same');
    const cassette = { version: 2, interactions: [makeOpenAIStreamTrace({ id: 'a' }), makeNonStreamTrace({ id: 'b' })] };
    await writeCassette(path, cassette);
    expect(await loadCassette(path)).toStrictEqual(cassette);
    expect(await cached()).toHaveLength(1);
    expect(await loadCassette(path)).toStrictEqual(cassette);
    const first = await indexCassette(path);
    const again = await indexCassette(path);
    // A small cassette's index is the loaded cassette: one cache file for both.
    expect(await cached()).toHaveLength(1);
    expect(again.interactions).toStrictEqual(first.interactions);
    expect(await again.load(1)).toStrictEqual(cassette.interactions[1]);
    // The big-cassette index (match keys and places, each interaction read when served) is cached too.
    const lazy = await indexCassette(path, { eagerBytes: 0 });
    const lazyAgain = await indexCassette(path, { eagerBytes: 0 });
    expect(await cached()).toHaveLength(2);
    expect(lazyAgain.interactions).toStrictEqual(lazy.interactions);
    expect(lazyAgain.interactions[0]!.trace).toBeUndefined();
    expect(await lazyAgain.load(0)).toStrictEqual(cassette.interactions[0]);
  });

  it('reads a changed cassette again, whatever its cache holds', async () => {
    const path = await fresh('changed');
    await writeCassette(path, { version: 2, interactions: [makeNonStreamTrace({ id: 'old' })] });
    await loadCassette(path);
    await writeCassette(path, { version: 2, interactions: [makeNonStreamTrace({ id: 'new' }), makeNonStreamTrace({ id: 'two' })] });
    expect((await loadCassette(path)).interactions.map((t) => t.id)).toEqual(['new', 'two']);
    expect((await indexCassette(path)).interactions.map((t) => t.id)).toEqual(['new', 'two']);
  });

  it('ignores a corrupt, truncated or foreign cache file and reads the cassette', async () => {
    const { path, cassette, file, text: good } = await loadedOnce('corrupt', [makeOpenAIStreamTrace({ id: 'a' })]);
    const broken = [
      good.slice(0, good.length / 2),
      'not json',
      '{}',
      JSON.stringify({ ...JSON.parse(good), format: 999 }),
      good.replace('"schema_version":1', '"schema_version":"x"'),
      good.replace(/"offset":\d+/, '"offset":-4'),
    ];
    for (const text of broken) {
      await writeFile(file, text);
      expect(await loadCassette(path)).toStrictEqual(cassette);
    }
  });

  it('a reader that finds another process reading the same bytes waits for what it keeps instead of parsing', async () => {
    // The other process is simulated: its claim on the bytes, then the index it keeps (told apart by an id).
    const { path, file, text } = await loadedOnce('peer', [makeNonStreamTrace({ id: 'mine' })]);
    const kept = text.replace('"id":"mine"', '"id":"from-peer"');
    await rm(file);
    await writeFile(`${file}.reading`, '1');
    const loading = loadCassette(path);
    await new Promise((r) => setTimeout(r, 150));
    await writeFile(file, kept);
    expect((await loading).interactions.map((t) => t.id)).toEqual(['from-peer']);
  });

  it('reads the cassette itself once the other reader lets go without keeping anything', async () => {
    const { path, file } = await loadedOnce('gone', [makeNonStreamTrace({ id: 'a' })]);
    const name = basename(file);
    await rm(file);
    await writeFile(`${file}.reading`, '1');
    const loading = loadCassette(path);
    await new Promise((r) => setTimeout(r, 150));
    await rm(`${file}.reading`);
    expect((await loading).interactions.map((t) => t.id)).toEqual(['a']);
    expect(await cached()).toEqual([name]);
    expect(await readdir(cache)).not.toContain(`${name}.reading`);
  });

  it('writes nothing with TRACEFORGE_CACHE_DIR=off', async () => {
    const path = await fresh('off');
    await writeCassette(path, { version: 2, interactions: [makeNonStreamTrace({ id: 'a' })] });
    process.env.TRACEFORGE_CACHE_DIR = 'off';
    await loadCassette(path);
    await indexCassette(path);
    expect(await readdir(dir)).not.toContain('off-cache');
  });
});
