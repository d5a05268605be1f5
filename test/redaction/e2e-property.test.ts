import fc from 'fast-check';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecorder, type Recorder } from '../../src/record/recorder.js';
import { spillFiles } from '../../src/record/spill.js';
import { appendToCassette, loadCassette } from '../../src/store/cassette-file.js';
import { listTraces } from '../../src/store/trace-index.js';
import { createTraceStore, type TraceStore } from '../../src/store/trace-store.js';
import { spilledOf } from '../../src/trace/spilled.js';
import type { Trace } from '../../src/trace/types.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/index.js';
import { generateFromTrace } from '../../src/gen/index.js';
import { buildRequest, CUSTOM_FIELD, CUSTOM_HEADER, echoScript, leakable, planArb, send, type Plan } from './echo-plan.js';
import { allFiles, findInFile } from './leak-check.js';

/**
 * The two properties every file TraceForge writes must have, checked end to end over real sockets:
 * (1) no secret the request carried appears in any of them, whatever position it was in and however the
 * upstream echoed it; (2) reading a trace or cassette back gives exactly what was written.
 */
const DEFAULT_SPILL = 32 * 1024 * 1024;

interface Run {
  plan: Plan;
  store: TraceStore;
  cassette: string;
  traces: Trace[];
  appended: Trace[];
  /** Leaks found in spill files while the call was still being written. */
  spillHits: string[];
  /** Spill files of earlier runs, not this one's. */
  oldSpills: Set<string>;
}

describe('no secret reaches disk, and every file reads back as written (end to end)', () => {
  let upstream: FakeUpstream;
  let inMemory: Recorder;
  let spilling: Recorder;
  let run: Run | undefined;

  beforeAll(async () => {
    upstream = await startFakeUpstream(() => echoScript(run!.plan));
    // Two recorders, one that keeps bodies in memory and one that spills past 300 bytes; a plan picks one.
    const start = (spillThresholdBytes: number) =>
      startRecorder({
        upstream: upstream.url,
        spillThresholdBytes,
        redact: { headers: [CUSTOM_HEADER], bodyFields: [CUSTOM_FIELD] },
        onTrace: async (t) => {
          const r = run!;
          // The call is over but its spill file (if any) is still on disk: it must be clean too.
          for (const f of spillFiles().filter((x) => !r.oldSpills.has(x))) r.spillHits.push(...(await findInFile(f, leakable(r.plan))));
          r.traces.push(t);
          await r.store.save(t);
          if (!spilledOf(t)) {
            await appendToCassette(r.cassette, [t]);
            r.appended.push(t);
          }
        },
      });
    [inMemory, spilling] = await Promise.all([start(DEFAULT_SPILL), start(300)]);
  });
  afterAll(async () => {
    await inMemory?.close();
    await spilling?.close();
    await upstream?.close();
  });

  it('holds for secrets of any alphabet in every position, spilled or not', async () => {
    await fc.assert(
      fc.asyncProperty(planArb, async (plan) => {
        const out = await mkdtemp(join(tmpdir(), 'tf-redact-'));
        const store = createTraceStore(join(out, 'traces'));
        run = { plan, store, cassette: join(out, 'fixtures', 'calls.yaml'), traces: [], appended: [], spillHits: [], oldSpills: new Set(spillFiles()) };
        const rec = plan.spill ? spilling : inMemory;
        await send(rec.url, buildRequest(plan));
        await waitFor(() => run!.traces.length === 1);
        await rec.flush();
        await listTraces(store.dir); // writes the .index.json cache
        const secrets = leakable(plan);
        // gen's test file and cassette, for a call it can write a test for (a successful stream with a JSON request).
        const t0 = run.traces[0]!;
        if (t0.metadata.stream && t0.http.outcome === 'complete' && t0.http.status < 400 && t0.request && typeof t0.request === 'object') {
          await mkdir(join(out, 'gen'));
          await generateFromTrace(t0, { cwd: join(out, 'gen'), template: 'fetch' });
        }

        // (1) every file under the output directory, dotfiles and the index included, and the spill files.
        const files = await allFiles(out);
        expect(files.some((f) => f.endsWith('.index.json'))).toBe(true);
        const hits = [...run.spillHits];
        for (const f of files) hits.push(...(await findInFile(f, secrets)));
        expect(hits, JSON.stringify(plan)).toEqual([]);

        // (2) load(save(x)) equals x, for the trace file and the cassette.
        const t = run.traces[0]!;
        const loaded = await store.load(t.id);
        const spilled = spilledOf(t);
        if (spilled) {
          const pieces = [];
          for await (const p of spilled.read()) pieces.push(p);
          if (spilled.kind === 'chunks') {
            expect(loaded.chunks).toEqual(pieces);
            expect({ ...loaded, chunks: undefined }).toEqual(t);
          } else {
            expect(loaded.http.body).toEqual(pieces);
            expect({ ...loaded, http: { ...loaded.http, body: undefined } }).toEqual(t);
          }
        } else {
          expect(loaded).toEqual(t);
          expect((await loadCassette(run.cassette)).interactions).toEqual(run.appended);
        }
        // The trace is what the app saw, minus secrets: a dropped stream is recorded as one.
        if (plan.drop) expect(t.http.outcome).toBe('upstream_aborted');
        expect(await readFile(join(store.dir, (await store.files())[0]!), 'utf8')).toContain('[REDACTED]');
      }),
      // REDACT_RUNS=300 to hunt for more; each run records over real sockets, so the default stays small.
      { numRuns: Number(process.env.REDACT_RUNS) || 20 },
    );
  }, 600_000);
});

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error('timed out waiting for the trace');
}
