import { createTraceStore, type LoadedTrace } from '../../store/trace-store.js';
import { diffTraces, type NumberDiff, type TraceDiff } from '../../trace/diff.js';
import type { StreamMetrics } from '../../trace/metrics.js';
import { renderDiff } from '../../tui/diff-render.js';
import { shouldColor, styleFor } from '../../tui/style.js';
import type { CommandContext } from '../command.js';
import type { TraceDiffOptions } from '../command-table.js';
import { safeJson, visible } from '../../util/visible.js';
import { diffSessions, renderWsDiff } from '../../ws/diff.js';

/** The timing rows that diffTraces computes from the chunks, by label: for a window they come from its streamed totals. */
const FROM_METRICS: Partial<Record<string, (m: StreamMetrics) => number | null | undefined>> = {
  'Stream duration': (m) => m.streamDurationMs,
  Chunks: (m) => m.totalChunks,
  'Average gap': (m) => m.averageChunkMs,
  'p50 gap': (m) => m.p50GapMs,
  'p95 gap': (m) => m.p95GapMs,
  'Longest stall': (m) => m.longestStall?.ms,
};

/**
 * Put the streamed figures of a windowed side into the diff, and say what was compared: a trace over the
 * whole-load limit is read as totals only, and its response text, when the recorder did not rebuild it, is not compared.
 */
export function applyWindows(d: TraceDiff, sides: readonly [LoadedTrace, LoadedTrace]): string[] {
  const notes: string[] = [];
  sides.forEach((side, i) => {
    const w = side.window;
    if (!w) return;
    const key = i === 0 ? 'a' : 'b';
    d.timing.rows = d.timing.rows.map((r): NumberDiff => {
      const pick = FROM_METRICS[r.label];
      return pick && side.trace.metadata.stream ? { ...r, [key]: pick(w.metrics) ?? null } : r;
    });
    d.timing.histogram[key] = w.histogram;
    const note = (side.trace.response as { traceforge_note?: unknown } | null)?.traceforge_note;
    notes.push(
      `${i === 0 ? 'A' : 'B'} is a ${(w.fileBytes / 1048576).toFixed(1)} MB trace, over the ${(w.limitBytes / 1048576).toFixed(1)} MB read whole: its timing is computed over all ${w.totalPieces.toLocaleString('en-US')} ${side.trace.metadata.stream ? 'chunks' : 'body reads'} as they stream past${typeof note === 'string' ? '; its response was not rebuilt by the recorder, so its text is not compared' : ''}`,
    );
  });
  return notes;
}

/** `traceforge trace diff A B`: side by side request, response and timing; blessed on a terminal, text otherwise. */
export async function run({ args, opts, io }: CommandContext<TraceDiffOptions>): Promise<number> {
  const store = createTraceStore(opts.traces);
  // A big side keeps no chunks: the diff needs only its totals, which are streamed.
  const la = await store.loadForView(args[0]!, { head: 0, tail: 0 });
  const lb = await store.loadForView(args[1]!, { head: 0, tail: 0 });
  const [a, b] = [la.trace, lb.trace];
  // WebSocket sessions are compared frame by frame, as text (or JSON).
  if (a.websocket || b.websocket) {
    const w = diffSessions(a, b);
    io.stdout.write(opts.json ? `${safeJson(w, 2)}\n` : `A ${a.id}  B ${b.id}\n${renderWsDiff(w, visible)}`);
    return 0;
  }
  const d = diffTraces(a, b);
  const notes = applyWindows(d, [la, lb]);
  [a, b].forEach((t, i) => {
    if (t.http.synthesized) notes.push(`${i === 0 ? 'A' : 'B'} is a schema ${t.legacy?.schema_version ?? '1.0.0'} trace from the first TraceForge: its framing was synthesised from parsed chunks, so its bytes are not the provider's (timing and content are as it recorded them)`);
  });
  if (opts.json) {
    io.stdout.write(`${safeJson({ ...d, notes }, 2)}\n`);
    return 0;
  }
  if (!opts.text && io.stdout.isTTY === true && io.stdin.isTTY === true) {
    const { runDiffTui } = await import('../../tui/app.js');
    return runDiffTui(d, a, b, { notes });
  }
  const lines = renderDiff(d, a, b, styleFor(io.stdout, io.env), { width: io.stdout.columns ?? 100, markers: !shouldColor(io.stdout, io.env), notes });
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
