import fc from 'fast-check';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTraceStream, type Piece, type PieceKind } from '../../src/store/trace-stream-read.js';
import { writeSpilledTrace } from '../../src/store/trace-stream-write.js';
import { parseTrace, stringifyTrace } from '../../src/trace/codec.js';
import type { Trace } from '../../src/trace/types.js';
import { makeAnthropicStreamTrace, makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tf-stream-read-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(text: string): Promise<string> {
  const path = join(dir, `t${n++}.json`);
  await writeFile(path, text);
  return path;
}

async function collect(path: string, opts: { blockBytes?: number; fullParseLimit?: number } = {}) {
  const pieces: Record<PieceKind, Piece[]> = { chunks: [], body: [] };
  const r = await readTraceStream(path, { ...opts, onPiece: (p, kind, i) => void (pieces[kind][i] = p) });
  return { ...r, pieces };
}

/** What parseTrace gives, split the same way: the pieces, and the rest without them. */
function expected(text: string, path: string) {
  const t = parseTrace(text, path) as Trace & Record<string, unknown>;
  const pieces = { chunks: t.chunks ?? [], body: t.http.body ?? [] };
  const rest = structuredClone(t);
  delete rest.chunks;
  delete rest.http.body;
  return { pieces, rest };
}

// Text that looks like the markers the reader looks for, once JSON-escaped: it must not fool it.
const tricky = fc.constantFrom('\n  "chunks": [\n', '\n    },\n', '\n  ]', '    "body": [', 'plain', '"quoted"', '\\', 'ünï €', '');
const textArb = fc.array(fc.oneof(tricky, fc.string({ maxLength: 12 })), { maxLength: 8 }).map((p) => p.join(' ') || 'x');
const traceArb: fc.Arbitrary<Trace> = fc
  .record({
    kind: fc.constantFrom('openai', 'anthropic', 'plain'),
    text: textArb,
    seed: fc.integer({ min: 1, max: 1000 }),
    // A request key named `body` holding a list sits four spaces in, like http.body.
    requestBody: fc.option(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 })),
    data: fc.option(fc.jsonValue({ maxDepth: 3 })),
    tools: fc.boolean(),
    emptyChunks: fc.boolean(),
    bodyReads: fc.integer({ min: 0, max: 4 }),
  })
  .map((o) => {
    const opts = { text: o.text, seed: o.seed, toolCalls: o.tools ? [{ id: 'call_1', name: 'get', arguments: '{"city":"Paris, \\"FR\\""}' }] : undefined };
    const t = o.kind === 'openai' ? makeOpenAIStreamTrace(opts) : o.kind === 'anthropic' ? makeAnthropicStreamTrace(opts) : makeNonStreamTrace(opts);
    if (o.requestBody) (t.request as Record<string, unknown>).body = o.requestBody;
    if (o.data !== null && t.chunks?.[1]) t.chunks[1].data = o.data;
    if (o.kind !== 'plain' && o.emptyChunks) {
      t.chunks = [];
      t.total_chunks = 0;
    }
    if (o.kind === 'plain') t.http.body = Array.from({ length: o.bodyReads }, (_, i) => ({ delta_ms: i * 1.5, raw: `part ${i} ${o.text}` }));
    return t;
  });

describe('readTraceStream', () => {
  it('gives the pieces and the rest that parseTrace gives, for any trace and any read size', async () => {
    await fc.assert(
      fc.asyncProperty(traceArb, fc.integer({ min: 1, max: 97 }), async (trace, blockBytes) => {
        const text = stringifyTrace(trace);
        const path = await write(text);
        const got = await collect(path, { blockBytes });
        const want = expected(text, path);
        expect(got.mode).toBe('stream');
        expect(got.pieces.chunks).toEqual(want.pieces.chunks);
        expect(got.pieces.body).toEqual(want.pieces.body);
        expect(got.rest).toEqual(want.rest);
        expect(got.counts.chunks).toBe(trace.chunks?.length);
        expect(got.counts.body).toBe(trace.http.body?.length);
      }),
      { numRuns: 150 },
    );
  });

  it('reads a trace the recorder spilled and the store streamed into its file', async () => {
    const t = makeOpenAIStreamTrace({ text: 'one two three four five six seven' });
    const chunks = t.chunks!;
    const spilledTrace = structuredClone(t);
    delete spilledTrace.chunks;
    const path = join(dir, 'spilled.json');
    await writeSpilledTrace(path, spilledTrace, { kind: 'chunks', count: chunks.length, bytes: 0, read: async function* () { yield* chunks; } });
    const got = await collect(path, { blockBytes: 7 });
    expect(got.pieces.chunks).toEqual(chunks);
    expect(got.rest).toEqual(spilledTrace);
  });

  it('parses a minified file whole below the limit and refuses it in one line above', async () => {
    const t = makeAnthropicStreamTrace();
    const path = await write(JSON.stringify(t));
    const got = await collect(path);
    expect(got.mode).toBe('whole');
    expect(got.pieces.chunks).toEqual(t.chunks);
    const err = (await collect(path, { fullParseLimit: 100 }).then(() => new Error('no error'), (e: unknown) => e)) as Error & { code?: string };
    expect(err).toMatchObject({ code: 'E_TRACE_INVALID' });
    expect(err.message).toMatch(/not in the layout TraceForge writes .* over 100 bytes/);
    expect(err.message).not.toContain('\n');
  });

  it('refuses a truncated file, a wrong total_chunks and a bad chunk, naming the file', async () => {
    const text = stringifyTrace(makeOpenAIStreamTrace());
    const cut = await write(text.slice(0, text.indexOf('"total_chunks"') - 200));
    await expect(collect(cut)).rejects.toThrow(/ends inside \$\.chunks after \d+ pieces; it is truncated/);
    const wrongTotal = await write(text.replace(/"total_chunks": \d+/, '"total_chunks": 3'));
    await expect(collect(wrongTotal)).rejects.toThrow(/\$\.total_chunks is 3 but there are \d+ chunks/);
    const badChunk = await write(text.replace('"delta_ms": 0,', '"delta_ms": "soon",'));
    await expect(collect(badChunk)).rejects.toThrow(/\$\.chunks\[0\] must be an object with delta_ms/);
  });
});
