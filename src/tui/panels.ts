import { mcpCallLabel, readMarker } from '../mcp/marker.js';
import { mcpResultBytes } from '../mcp/result-size.js';
import { formatMessages, formatToolCalls, requestParams } from '../trace/diff.js';
import { chunkOffsets, isStall, sparkline, streamMetrics, type StreamMetrics } from '../trace/metrics.js';
import { summarize, type ResponseSummary } from '../trace/reconstruct.js';
import type { TraceWindow } from '../store/trace-store.js';
import { LOOP_DELAY_WARN_MS, type Trace } from '../trace/types.js';
import { chunkPreview } from './chunk-text.js';
import { bar, cell, clip, fmtMs, fmtNum, middle } from './format.js';
import type { Style } from './style.js';

/**
 * Everything the trace view shows, computed once. The panel builders below turn it into lines for
 * any `Style`, so `--text`, pipes and the TUI show the same labels and figures.
 */
export interface ViewModel {
  trace: Trace;
  summary: ResponseSummary;
  metrics: StreamMetrics;
  /** Per chunk: ms since the request left (TTFB + running delta_ms). */
  offsets: number[];
  previews: string[];
  stream: boolean;
  /** Set when the trace was too big to load whole: `trace.chunks` is a window, `metrics` cover every chunk. */
  window: TraceWindow | null;
}

/**
 * @example
 * buildViewModel(trace);                          // a trace loaded whole
 * buildViewModel(loaded.trace, loaded.window);    // from store.loadForView()
 */
export function buildViewModel(trace: Trace, window: TraceWindow | null = null): ViewModel {
  const summary = summarize(trace.metadata.provider, trace.response);
  const chunks = trace.chunks ?? [];
  const out = summary.usage?.output_tokens;
  let metrics = streamMetrics(trace, { outputTokens: out });
  if (window) {
    const secs = window.metrics.streamDurationMs / 1000;
    metrics = { ...window.metrics, tokensPerSecond: out != null && out > 0 && secs > 0 ? out / secs : null };
  }
  return {
    trace,
    summary,
    metrics,
    offsets: window ? window.offsets : chunkOffsets(trace),
    previews: chunks.map(chunkPreview),
    stream: trace.metadata.stream && (window ? window.totalPieces : chunks.length) > 0,
    window,
  };
}

/** Characters of the response a windowed view shows. */
const RESPONSE_CAP = 64 * 1024;
const count = (n: number) => n.toLocaleString('en-US');
const megabytes = (n: number) => `${(n / 1048576).toFixed(1)} MB`;

/** True when some chunks were left out of the view. */
export const isWindowed = (vm: ViewModel): boolean => vm.window !== null && vm.window.tailStart > vm.window.headCount;

/** `2,050 of 1,048,576 chunks`: what the timeline holds. */
export function windowShown(w: TraceWindow): string {
  return `${count(w.headCount + (w.totalPieces - w.tailStart))} of ${count(w.totalPieces)} chunks`;
}

/** Why the view holds only some chunks, in one line; null when it holds them all. */
export function windowNote(vm: ViewModel): string | null {
  const w = vm.window;
  if (!w || !isWindowed(vm)) return null;
  return `showing ${windowShown(w)} (the first ${count(w.headCount)} and the last ${count(w.totalPieces - w.tailStart)}): the trace file is ${megabytes(w.fileBytes)}, over the ${megabytes(w.limitBytes)} read whole (TRACEFORGE_WINDOW_BYTES); totals and timing cover every chunk`;
}

/** A note the recorder leaves in `response` when the body was too big to rebuild. */
export function responseNote(trace: Trace): string | null {
  const r = trace.response as { traceforge_note?: unknown } | null;
  return r && typeof r === 'object' && typeof r.traceforge_note === 'string' ? r.traceforge_note : null;
}

const LABEL = 22;
const kv = (st: Style, label: string, value: string, width = LABEL) => `${st.dim(label.padEnd(width))}${value}`;
// Summary labels are short; a narrower column keeps values on one line in the TUI's left panel (12 on an
// 80-column terminal, where 25 columns are left for `POST /v1/chat/completions`).
const summaryLabel = (width: number | undefined) => (width === undefined || width >= 38 ? 13 : 12);
const id = (s: string) => s;

/**
 * A label and a recorded or computed value fitted to `width` columns (no width: one line, as is).
 * `shorten` keeps one line and cuts text in the middle (`/model/anthr…sonnet/converse`), for values whose
 * both ends matter; `wrap` breaks at spaces under the value column, so numbers are never cut.
 * `paint` styles each fitted piece after it is escaped.
 */
function fitKv(st: Style, label: string, value: string, o: { labelWidth: number; width?: number; mode: 'shorten' | 'wrap'; paint?: (s: string) => string }): string[] {
  const paint = o.paint ?? id;
  const flat = clip(value, Infinity);
  // blessed wraps a line that fills the width exactly when a closing colour tag follows its last character.
  const room = o.width === undefined ? Infinity : Math.max(8, o.width - o.labelWidth - (o.paint ? 1 : 0));
  const head = st.dim(label.padEnd(o.labelWidth));
  if (flat.length <= room) return [`${head}${paint(st.esc(flat))}`];
  if (o.mode === 'shorten') return [`${head}${paint(st.esc(middle(flat, room)))}`];
  const pieces: string[] = [];
  // A number keeps its unit on its line.
  for (const word of flat.split(/ (?!(?:ms|s|MB|bytes)\b)/)) {
    const last = pieces.length - 1;
    if (last >= 0 && pieces[last]!.length + 1 + word.length <= room) pieces[last] += ` ${word}`;
    else pieces.push(word.length > room ? middle(word, room) : word);
  }
  return pieces.map((p, i) => `${i === 0 ? head : ' '.repeat(o.labelWidth)}${paint(st.esc(p))}`);
}

/** `width`: the panel's inner width in the TUI; values that do not fit are shortened in the middle. */
export function summaryLines(vm: ViewModel, st: Style, width?: number): string[] {
  const t = vm.trace;
  const ok = t.metadata.status === 'success';
  const http = `${t.http.status} ${t.http.status_message}`.trim();
  const row = (label: string, value: string, paint?: (s: string) => string) => fitKv(st, label, value, { labelWidth: summaryLabel(width), width, mode: 'shorten', paint })[0]!;
  return [
    row('Endpoint', `${t.http.method} ${t.endpoint}`),
    row('Model', t.metadata.model ?? '—'),
    row('Provider', t.metadata.provider),
    row('Status', ok ? 'success' : `error${t.http.outcome === 'complete' ? '' : ` (${t.http.outcome})`}`, ok ? st.green : st.red),
    row('HTTP Status', http, t.http.status >= 400 ? st.red : undefined),
    row('Duration', fmtMs(t.metadata.duration_ms)),
    row('Timestamp', t.timestamp),
    row('Type', vm.stream ? 'Stream' : 'Normal', vm.stream ? st.magenta : undefined),
    ...mcpRows(t).map(([label, value]) => row(label, value)),
    ...(t.http.synthesized ? originRows(t).map(([label, value]) => row(label, value, st.yellow)) : []),
  ];
}

/** An MCP call as a tool call: what it asked, of which session, and how big its result was. */
function mcpRows(t: Trace): Array<[string, string]> {
  const m = readMarker(t.metadata.mcp);
  if (!m) return [];
  const bytes = mcpResultBytes(t);
  return [['MCP', mcpCallLabel(m)], ['Session', m.session ?? '(none)'], ...(bytes !== undefined ? [['Result', `${bytes} bytes`] as [string, string]] : [])];
}

/** What the view says of a trace whose framing was synthesised (a first-TraceForge trace); short enough for the TUI's left panel. */
export function originRows(t: Trace): Array<[string, string]> {
  const from = t.legacy ? `schema ${t.legacy.schema_version.slice(0, 20)} trace (first TraceForge)` : 'not recorded by this TraceForge';
  return [
    ['Origin', from],
    ['Framing', t.metadata.stream ? `${t.http.framing.toUpperCase()} synthesised from parsed chunks` : 'body re-serialised from parsed JSON'],
  ];
}

/** Labels for a narrow panel (the TUI's left column on an 80-column terminal), so values stay on one line. */
const COMPACT: Record<string, string> = {
  'Stream Duration': 'Stream Time',
  'First Chunk Latency': 'First Chunk',
  'First Content Latency': 'First Content',
  'Average Chunk Time': 'Avg Chunk Time',
};
const COMPACT_LABEL = 15;

/**
 * `width`: the panel's inner width in the TUI. Long values wrap under the value column (numbers are never
 * cut); when a figure would not fit beside the full labels, the panel takes shorter labels and the short
 * form of the stamp accuracy.
 */
export function metricsLines(vm: ViewModel, st: Style, sparkWidth = 40, width?: number): string[] {
  const m = vm.metrics;
  const stall = m.longestStall ? `${fmtMs(m.longestStall.ms)} (chunk ${m.longestStall.index})` : '—';
  const figures: Array<[string, string, ((s: string) => string)?]> = [
    ['Total Chunks', String(m.totalChunks)],
    ['Stream Duration', fmtMs(m.streamDurationMs)],
    ['First Chunk Latency', fmtMs(m.firstChunkLatencyMs)],
    ['First Content Latency', fmtMs(m.firstContentLatencyMs)],
    ['Average Chunk Time', fmtMs(m.averageChunkMs)],
    ['Gap p50 / p95', `${fmtMs(m.p50GapMs)} / ${fmtMs(m.p95GapMs)}`],
    ['Longest Stall', stall, m.longestStall && isStall(m.longestStall.ms, m) ? st.red : undefined],
    ['Tokens/sec', m.tokensPerSecond === null ? '—' : fmtNum(m.tokensPerSecond, 1)],
  ];
  // The 1 is the column fitKv keeps free after a coloured value.
  const compact = width !== undefined && figures.some(([, v]) => LABEL + v.length + 1 > width);
  const labelWidth = compact ? COMPACT_LABEL : LABEL;
  const row = (label: string, value: string, paint?: (s: string) => string) =>
    fitKv(st, compact ? (COMPACT[label] ?? label) : label, value, { labelWidth, width, mode: 'wrap', paint });
  return [
    ...figures.flatMap(([label, value, paint]) => row(label, value, paint)),
    `${st.dim('Gaps'.padEnd(labelWidth))}${st.cyan(sparkline(m.gaps, compact && width !== undefined ? Math.max(4, width - labelWidth) : sparkWidth))}`,
    ...timingRows(vm, st, compact).flatMap(([label, value, paint]) => row(label, value, paint)),
    ...(vm.window ? row('Body', `${megabytes(vm.window.bodyBytes)} (${count(vm.window.bodyBytes)} bytes)`) : []),
  ];
}

/**
 * How far the recorded stamps can be trusted: the worst event-loop delay the recorder's proxy thread
 * saw during the call. Over LOOP_DELAY_WARN_MS the chunk times may be off by that much.
 */
function timingRows(vm: ViewModel, st: Style, short: boolean): Array<[string, string, (s: string) => string]> {
  const delay = vm.trace.timing?.max_loop_delay_ms;
  if (delay === undefined) return [];
  if (delay <= LOOP_DELAY_WARN_MS) return [['Stamp Accuracy', short ? `within ${fmtMs(Math.max(1, delay))}` : `within ${fmtMs(Math.max(1, delay))} (recorder loop delay)`, st.green]];
  return [['Stamp Accuracy', short ? `off by up to ${fmtMs(delay)}` : `may be off by up to ${fmtMs(delay)}: the recorder's loop was held up; re-record on a quieter machine`, st.red]];
}

/** Timeline column widths: roomy, or compact for a narrow panel. */
function timelineCols(width: number) {
  if (width >= 70) return { idx: 5, delta: 9, cum: 10, gap: 12 };
  // An 80-column terminal leaves the timeline under 42 columns: a shorter bar keeps room for the content.
  return width >= 42 ? { idx: 4, delta: 7, cum: 8, gap: 6 } : { idx: 4, delta: 7, cum: 8, gap: 4 };
}

export function timelineHeader(st: Style, width = 120): string {
  const c = timelineCols(width);
  const delta = c.delta >= 8 ? 'delta ms' : 'Δ ms';
  return st.dim(`${cell('#', c.idx, 'right')} ${cell(delta, c.delta, 'right')} ${cell('cum ms', c.cum, 'right')}  ${cell('gap', c.gap)}  content`);
}

/** One row per chunk; `width` bounds the row so it never wraps (the preview is clipped). */
export function timelineRows(vm: ViewModel, st: Style, width = 120): string[] {
  const chunks = vm.trace.chunks ?? [];
  const max = vm.metrics.longestStall?.ms ?? 0;
  const c = timelineCols(width);
  const room = Math.max(4, width - (c.idx + 1 + c.delta + 1 + c.cum + 2 + c.gap + 2));
  const w = isWindowed(vm) ? vm.window : null;
  const rows = chunks.map((ch, i) => {
    // In a window the kept tail carries on from its place in the whole stream.
    const at = w && i >= w.headCount ? w.tailStart + (i - w.headCount) : i;
    const gap = at === 0 ? 0 : ch.delta_ms;
    const stall = at > 0 && isStall(gap, vm.metrics);
    const paint = stall ? st.red : st.cyan;
    const delta = cell(gap.toFixed(1), c.delta, 'right');
    const preview = clip(vm.previews[i] ?? '', room);
    return `${cell(String(at), c.idx, 'right')} ${stall ? st.red(delta) : delta} ${cell(vm.offsets[i]!.toFixed(1), c.cum, 'right')}  ${paint(bar(gap, max, c.gap))}  ${st.esc(preview)}`;
  });
  if (w) rows.splice(w.headCount, 0, st.dim(clip(`${''.padStart(c.idx)} … ${count(w.tailStart - w.headCount)} chunks not loaded (${w.headCount}-${w.tailStart - 1}): the trace is too big to load whole`, width)));
  return rows;
}

const split = (text: string) => text.replace(/\n$/, '').split('\n');

export function responseLines(vm: ViewModel, st: Style): string[] {
  const s = vm.summary;
  const out: string[] = [];
  if (s.reasoning) out.push(st.bold('Reasoning'), ...split(s.reasoning).map((l) => st.dim(st.esc(l))), '');
  const note = responseNote(vm.trace);
  // A big trace recorded without spilling still carries its whole response; a screenful of it is enough here.
  const cut = vm.window && s.text.length > RESPONSE_CAP ? s.text.slice(0, RESPONSE_CAP) : s.text;
  out.push(...(cut ? split(cut).map(st.esc) : [st.dim(note ? st.esc(`(${note})`) : '(no text)')]));
  if (cut !== s.text) out.push(st.dim(`… ${count(s.text.length - cut.length)} more characters (the whole response is in the trace file)`));
  if (s.tool_calls.length > 0) out.push('', st.bold('Tool calls'), ...split(formatToolCalls(s.tool_calls)).map((l) => st.yellow(st.esc(l))));
  out.push('');
  out.push(kv(st, 'Finish reason', st.esc(s.finish_reason ?? '—')));
  const u = s.usage;
  out.push(kv(st, 'Usage', u ? `input ${fmtNum(u.input_tokens)} · output ${fmtNum(u.output_tokens)} · total ${fmtNum(u.total_tokens)}` : '—'));
  if (vm.trace.http.error) out.push(kv(st, 'Error', st.red(st.esc(vm.trace.http.error))));
  return out;
}

export function requestLines(vm: ViewModel, st: Style): string[] {
  const t = vm.trace;
  const messages = formatMessages(t.request);
  const params = Object.entries(requestParams(t.request));
  const out = [st.bold('Messages'), ...(messages ? split(messages).map(st.esc) : [st.dim('(none)')]), '', st.bold('Parameters')];
  out.push(...(params.length ? params.map(([k, v]) => kv(st, k, st.esc(clip(v, 200)))) : [st.dim('(none)')]));
  if (t.http.request_body_raw !== undefined) out.push('', st.dim('(request body was not JSON; kept raw in the trace)'));
  return out;
}

/** The whole view as plain or ANSI text: what `trace view --text` and a piped `trace view` print. */
export function renderTextView(vm: ViewModel, st: Style, width = 100): string {
  const head = (title: string) => st.bold(`── ${title} ${'─'.repeat(Math.max(0, Math.min(width, 80) - title.length - 4))}`);
  const note = windowNote(vm);
  const out = [`${st.bold('Trace')} ${st.esc(vm.trace.id)}`, ...(note ? [st.yellow(st.esc(`Note: ${note}`))] : []), '', head('Summary'), ...summaryLines(vm, st)];
  if (vm.stream) {
    out.push('', head('Streaming metadata'), ...metricsLines(vm, st, Math.min(60, width - LABEL)));
    const title = vm.window && note ? `Chunk timeline (${windowShown(vm.window)})` : 'Chunk timeline';
    out.push('', head(title), timelineHeader(st, width), ...timelineRows(vm, st, width));
  }
  out.push('', head('Complete response'), ...responseLines(vm, st), '', head('Request'), ...requestLines(vm, st));
  return `${out.join('\n')}\n`;
}
