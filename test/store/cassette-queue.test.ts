/** The cassette queue batches calls that finish together; one that cannot go in a cassette must not take its batch with it. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCassette } from '../../src/store/cassette-file.js';
import { createCassetteQueue } from '../../src/store/cassette-queue.js';
import { attachSpilled } from '../../src/trace/spilled.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';

describe('the cassette queue', () => {
  it('refuses a spilled interaction alone: the calls batched with it are written', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'tf-queue-')), 'c.yaml');
    const queue = createCassetteQueue(path);
    const big = attachSpilled(makeOpenAIStreamTrace({ id: 'big' }), { kind: 'chunks', count: 1, bytes: 1 << 30, read: async function* () {} });
    // The first starts an append at once; the other three wait for it and go as one batch.
    const results = await Promise.allSettled(['first', 'before', 'big', 'after'].map((id) => queue.add(id === 'big' ? big : makeOpenAIStreamTrace({ id }))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'E_CASSETTE_INVALID', message: expect.stringContaining('interaction big') });
    expect((await loadCassette(path)).interactions.map((t) => t.id)).toEqual(['first', 'before', 'after']);
  });
});
