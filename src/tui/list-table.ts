import { mcpCallLabel } from '../mcp/marker.js';
import { uniquePrefixLength } from '../store/trace-index.js';
import type { TraceRow } from '../store/trace-row.js';
import { cell, clip, fmtMs, fmtTime, middle } from './format.js';
import type { Style } from './style.js';

/** Filters shared by `trace list` and the TUI browser. */
export interface ListFilter {
  stream?: boolean;
  model?: string;
  /** Case-insensitive substring of id, endpoint, model, provider, status or prompt (the browser's `/`). */
  text?: string;
  limit?: number;
}

export function filterRows(rows: readonly TraceRow[], f: ListFilter): TraceRow[] {
  const q = f.text?.trim().toLowerCase();
  const out = rows.filter(
    (r) =>
      (f.stream === undefined || r.stream === f.stream) &&
      (f.model === undefined || r.model === f.model) &&
      (!q || [r.id, r.endpoint, r.model ?? '', r.provider, String(r.http_status), r.prompt ?? ''].some((s) => s.toLowerCase().includes(q))),
  );
  return f.limit === undefined ? out : out.slice(0, f.limit);
}

/** The machine-readable row of `trace list --json`: the table's columns with full values. */
export function jsonRow(r: TraceRow, shortLen: number) {
  return {
    id: r.id,
    short_id: r.id.slice(0, shortLen),
    time: r.timestamp,
    endpoint: r.endpoint,
    method: r.method,
    model: r.model,
    provider: r.provider,
    type: r.websocket ? 'websocket' : r.stream ? 'stream' : 'normal',
    status: r.http_status,
    outcome: r.outcome,
    chunks: r.chunks,
    duration_ms: r.duration_ms,
    ttfb_ms: r.ttfb_ms,
    file: r.file,
    synthesized: r.synthesized === true,
    legacy_schema: r.legacy ?? null,
    // Its first 120 characters (the index keeps no more), not the table column's cut: scripts pick rows by it.
    prompt: r.prompt ?? null,
    // Present only on a call of an MCP session: { session, method, name }.
    ...(r.mcp ? { mcp: r.mcp } : {}),
    ...(r.websocket ? { frames: { client: r.websocket.client, server: r.websocket.server } } : {}),
  };
}

/** The footnote for rows marked `*`; `legacy` counts the files still in the old format. */
export function synthesizedNote(rows: readonly TraceRow[]): string | null {
  const marked = rows.filter((r) => r.synthesized).length;
  if (marked === 0) return null;
  const legacy = rows.filter((r) => r.legacy !== undefined).length;
  return (
    `* from the first TraceForge (schema 1.0.0): its framing is synthesised from the parsed chunks, not the bytes the provider sent` +
    (legacy > 0 ? `; ${legacy} file(s) read as is, \`traceforge trace upgrade <dir>\` rewrites them (keeping .bak copies)` : '')
  );
}

interface Column {
  title: string;
  align?: 'right';
  max?: number;
  /** Cut in the middle rather than at the end: both ends of an endpoint or model name tell rows apart. */
  middle?: boolean;
  get(r: TraceRow): string;
  paint?(r: TraceRow, text: string, st: Style): string;
}

const OUTCOME_SHORT: Record<string, string> = { upstream_aborted: 'dropped', client_aborted: 'cancelled', upstream_unreachable: 'unreachable', recorder_shutdown: 'cut', recorder_refused: 'refused' };

function columns(shortLen: number): Column[] {
  return [
    { title: 'ID', get: (r) => r.id.slice(0, shortLen), paint: (_r, s, st) => st.cyan(s) },
    { title: 'TIME', get: (r) => fmtTime(r.timestamp) },
    { title: 'ENDPOINT', max: 36, middle: true, get: (r) => r.endpoint },
    { title: 'MODEL', max: 28, middle: true, get: (r) => r.model ?? '—' },
    // `*`: framing synthesised from a first-TraceForge trace (see SYNTHESIZED_NOTE).
    { title: 'TYPE', get: (r) => `${r.websocket ? 'WebSocket' : r.stream ? 'Stream' : 'Normal'}${r.synthesized ? '*' : ''}`, paint: (r, s, st) => (r.stream || r.websocket ? st.magenta(s) : s) },
    {
      title: 'STATUS',
      get: (r) => `${r.http_status}${r.outcome === 'complete' ? '' : ` ${OUTCOME_SHORT[r.outcome] ?? r.outcome}`}`,
      paint: (r, s, st) => (r.status === 'success' ? st.green(s) : st.red(s)),
    },
    // A WebSocket session's frames each way: ↑ sent by the client, ↓ by the server.
    { title: 'CHUNKS', align: 'right', get: (r) => (r.websocket ? `↑${r.websocket.client} ↓${r.websocket.server}` : r.chunks === null ? '—' : String(r.chunks)) },
    { title: 'DURATION', align: 'right', get: (r) => fmtMs(r.duration_ms) },
    { title: 'TTFB', align: 'right', get: (r) => fmtMs(r.ttfb_ms) },
    // The last user message's first words: several calls to one endpoint and model are told apart by it.
    // An MCP call is told apart by its method and tool.
    { title: 'PROMPT', max: 40, get: (r) => (r.mcp ? `MCP ${mcpCallLabel(r.mcp)}` : (r.prompt ?? '—')) },
  ];
}

/**
 * The `trace list` table: a header line and one line per row, columns sized to their content.
 * Cells are padded before they are coloured, so escape codes never shift the columns.
 * Too wide for `maxWidth`, it gives up, in order: prompt width, the year, the TYPE column (CHUNKS `—`
 * already says a call was not streamed), the seconds, model and endpoint width (cut in the middle), the
 * TTFB and then the ENDPOINT column. Numbers are never cut.
 */
export function renderTable(
  rows: readonly TraceRow[],
  st: Style,
  allIds: readonly string[] = rows.map((r) => r.id),
  maxWidth = Infinity,
): { header: string; lines: string[] } {
  const all = columns(uniquePrefixLength(allIds));
  // Recorded text is made one visible line first (control characters as `\x1b`), so widths count what is shown.
  const texts = rows.map((r) => all.map((c) => clip(c.get(r), Infinity)));
  const widths = all.map((c, i) => Math.min(c.max ?? Infinity, Math.max(c.title.length, ...texts.map((t) => t[i]!.length))));
  const at = (title: string) => all.findIndex((c) => c.title === title);
  const hidden = new Set<number>();
  const over = () => widths.reduce((a, w, i) => a + (hidden.has(i) ? 0 : w + 2), -2) - maxWidth;
  const narrow = (title: string, min: number) => {
    const i = at(title);
    if (over() > 0) widths[i] = Math.max(Math.min(min, widths[i]!), widths[i]! - over());
  };
  const time = (re: RegExp) => {
    const i = at('TIME');
    if (over() <= 0) return;
    for (const t of texts) t[i] = t[i]!.replace(re, '');
    widths[i] = Math.max(4, ...texts.map((t) => t[i]!.length));
  };
  const hide = (title: string) => {
    if (over() > 0) hidden.add(at(title));
  };
  const steps = [
    () => narrow('PROMPT', 24),
    () => time(/^\d{4}-/),
    () => hide('TYPE'),
    () => narrow('PROMPT', 16),
    () => time(/:\d\d$/),
    () => narrow('MODEL', 14),
    () => narrow('ENDPOINT', 14),
    () => hide('TTFB'),
    () => hide('ENDPOINT'),
    () => narrow('PROMPT', 8),
  ];
  for (const step of steps) step();
  const shown = all.map((c, i) => ({ c, i })).filter(({ i }) => !hidden.has(i));
  const fit = (c: Column, text: string, width: number) => cell(c.middle ? middle(text, width) : text, width, c.align);
  const header = st.bold(shown.map(({ c, i }) => cell(c.title, widths[i]!, c.align)).join('  '));
  const lines = rows.map((r, ri) =>
    shown
      .map(({ c, i }) => {
        const padded = st.esc(fit(c, texts[ri]![i]!, widths[i]!));
        return c.paint ? c.paint(r, padded, st) : padded;
      })
      .join('  ')
      .trimEnd(),
  );
  return { header: header.trimEnd(), lines };
}
