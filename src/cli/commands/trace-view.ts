import { listTraces } from '../../store/trace-index.js';
import { createTraceStore, windowBytes } from '../../store/trace-store.js';
import type { Trace } from '../../trace/types.js';
import { filterRows, renderTable, synthesizedNote } from '../../tui/list-table.js';
import { buildViewModel, renderTextView } from '../../tui/panels.js';
import { styleFor } from '../../tui/style.js';
import { renderWsTimeline } from '../../tui/ws-timeline.js';
import type { GenerateHook } from '../../tui/trace-view.js';
import type { CommandContext } from '../command.js';
import type { TraceViewOptions } from '../command-table.js';
import { safeJson } from '../../util/visible.js';

/** The `g` key: loaded only when asked for, so opening a trace does not load the generator and its templates. */
export const generateHook: GenerateHook = async (trace: Trace, window, opts = {}) => {
  (await import('./gen.js')).refuseTooBigForCassette(trace, window ?? null);
  const { generateFromTrace } = await import('../../gen/index.js');
  return (await generateFromTrace(trace, { cwd: process.cwd(), force: opts.force === true })).written;
};

/**
 * `traceforge trace view [ID|PREFIX]`: the blessed view on a terminal, the same labels as plain text with
 * `--text` or when piped. Without an id: the list as a browser (or the table when not on a terminal).
 */
export async function run({ args, opts, io }: CommandContext<TraceViewOptions>): Promise<number> {
  const dir = opts.traces;
  const store = createTraceStore(dir);
  const id = args[0];
  const tui = !opts.text && io.stdout.isTTY === true && io.stdin.isTTY === true;
  const st = styleFor(io.stdout, io.env);

  if (id === undefined) {
    const { rows } = await listTraces(dir, { wholeLimitBytes: windowBytes(io.env) });
    if (tui) {
      const { runBrowserTui } = await import('../../tui/app.js');
      return runBrowserTui(rows, { dir, env: io.env, load: (row) => store.loadForView(row.file), onGenerate: generateHook });
    }
    if (rows.length === 0) {
      io.stdout.write(`No traces in ${dir}. Record some with \`traceforge record --upstream URL\`, or run \`traceforge demo\`.\n`);
      return 0;
    }
    const { header, lines } = renderTable(filterRows(rows, {}), st);
    const note = synthesizedNote(rows);
    io.stdout.write(`${header}\n${lines.join('\n')}\n${note ? `${st.dim(note)}\n` : ''}\nOpen one with \`traceforge trace view <id>\`.\n`);
    return 0;
  }

  // Over TRACEFORGE_WINDOW_BYTES this is a window of the chunks with totals streamed over all of them.
  const { trace, window } = await store.loadForView(id);
  if (opts.json) {
    const vm = buildViewModel(trace, window);
    const json = {
      id: trace.id,
      timestamp: trace.timestamp,
      method: trace.http.method,
      endpoint: trace.endpoint,
      status: trace.http.status,
      outcome: trace.http.outcome,
      metadata: trace.metadata,
      first_chunk_latency_ms: trace.first_chunk_latency_ms ?? null,
      first_content_latency_ms: trace.first_content_latency_ms ?? null,
      timing: trace.timing ?? null,
      metrics: vm.metrics,
      summary: vm.summary,
      ...(window ? { window: { file_bytes: window.fileBytes, total_pieces: window.totalPieces } } : {}),
    };
    io.stdout.write(`${safeJson(json, 2)}\n`);
    return 0;
  }
  // A WebSocket session is a two-sided timeline, text only for now (the TUI's panels are for one response).
  if (trace.websocket) {
    io.stdout.write(renderWsTimeline(trace, st, io.stdout.columns ?? 100));
    return 0;
  }
  if (tui) {
    const { runTraceViewTui } = await import('../../tui/app.js');
    return runTraceViewTui(trace, { env: io.env, onGenerate: generateHook, window });
  }
  io.stdout.write(renderTextView(buildViewModel(trace, window), st, io.stdout.columns ?? 100));
  return 0;
}
