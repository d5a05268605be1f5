import { mkdtemp, rm, stat } from 'node:fs/promises';
import { afterAll, beforeAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTraceStore } from '../../src/store/trace-store.js';
import { attachSpilled } from '../../src/trace/spilled.js';
import { percentile } from '../../src/trace/metrics.js';
import type { Trace, TraceChunk } from '../../src/trace/types.js';
import { jitteredGaps, makeOpenAIStreamTrace } from '../helpers/make-trace.js';

export const BIG_ID = 'b16b16b16b16';
export const BIG_CHUNKS = 50_000;

/** Chunk i of the big stream: a one-token OpenAI delta, small so 50k of them stay a few MB. */
function bigChunk(i: number, delta: number): TraceChunk {
  const data = { choices: [{ index: 0, delta: { content: ` w${i}` } }] };
  return { delta_ms: delta, raw: `data: ${JSON.stringify(data)}\n\n`, data };
}

export interface BigTraceProject {
  cwd: string;
  dir: string;
  path: string;
  size: number;
  /** Figures the view must show, computed here from the gaps the chunks were written with. */
  expect: { chunks: number; bodyBytes: number; streamMs: number; p50: number; p95: number; stall: { ms: number; index: number } };
  cleanup(): Promise<void>;
}

/**
 * A project whose trace store holds a trace the way the recorder writes a spilled one: the chunks stream
 * from a reader into the file (writeSpilledTrace) and `response` carries the recorder's note, plus a
 * small ordinary trace to diff against.
 */
export async function bigTraceProject(): Promise<BigTraceProject> {
  const cwd = await mkdtemp(join(tmpdir(), 'tf-big-'));
  const dir = join(cwd, '.ai-tests', 'traces');
  const store = createTraceStore(dir);
  const gaps = jitteredGaps(BIG_CHUNKS, 7);
  let bodyBytes = 0;
  for (let i = 0; i < BIG_CHUNKS; i++) bodyBytes += Buffer.byteLength(bigChunk(i, 0).raw);
  const streamMs = gaps.slice(1).reduce((s, g) => s + g, 0);
  const base: Trace = makeOpenAIStreamTrace({ id: BIG_ID, timestamp: '2026-11-24T16:00:00.000Z', firstChunkLatencyMs: 250 });
  delete base.chunks;
  delete base.first_content_latency_ms;
  base.total_chunks = BIG_CHUNKS;
  base.stream_duration_ms = streamMs;
  base.first_chunk_latency_ms = 250;
  base.metadata.duration_ms = 250 + streamMs + 1;
  base.response = { traceforge_note: `not reconstructed: the body was ${bodyBytes} bytes in ${BIG_CHUNKS} pieces, over the 1048576-byte in-memory limit; the chunks are complete` };
  const spilled = attachSpilled(base, {
    kind: 'chunks',
    count: BIG_CHUNKS,
    bytes: bodyBytes,
    read: async function* () {
      for (let i = 0; i < BIG_CHUNKS; i++) yield bigChunk(i, gaps[i]!);
    },
  });
  const path = await store.save(spilled);
  await store.save(makeOpenAIStreamTrace({ id: 'sma11sma11aa', timestamp: '2026-11-24T15:00:00.000Z' }));
  const sorted = gaps.slice(1).sort((a, b) => a - b);
  let stall = { ms: -1, index: 0 };
  gaps.forEach((g, i) => {
    if (i > 0 && g > stall.ms) stall = { ms: g, index: i };
  });
  return {
    cwd,
    dir,
    path,
    size: (await stat(path)).size,
    expect: { chunks: BIG_CHUNKS, bodyBytes, streamMs, p50: percentile(sorted, 50)!, p95: percentile(sorted, 95)!, stall },
    cleanup: () => rm(cwd, { recursive: true, force: true }),
  };
}

/** The project for a test file: made once before its tests, removed after. Filled in by beforeAll. */
export function useBigTraceProject(): BigTraceProject {
  const holder = {} as BigTraceProject;
  beforeAll(async () => {
    Object.assign(holder, await bigTraceProject());
  }, 60_000);
  afterAll(async () => {
    await holder.cleanup?.();
  });
  return holder;
}
