import type { DiffOp, FieldDiff, NumberDiff, TraceDiff } from '../trace/diff.js';
import type { Trace } from '../trace/types.js';
import { visible } from '../util/visible.js';
import { bar, cell, clip, fmtMs, fmtNum, fmtTime } from './format.js';
import type { Style } from './style.js';

/** A run of text with one look: unchanged, only in A (removed) or only in B (added). */
type Seg = { text: string; kind: 'same' | 'del' | 'add' };
/** A rendered row of one column: styled text plus its visible width (escape codes do not count). */
type Row = { text: string; width: number };

export interface DiffRenderOptions {
  width: number;
  /** Plain output has no colour, so changes are marked `[-removed-]` and `{+added+}` as in `git diff --word-diff`. */
  markers: boolean;
  /** Lines shown under the header, e.g. that a side was too big to load whole and what was compared. */
  notes?: string[];
}

function paint(seg: Seg, st: Style, markers: boolean): string {
  const t = st.esc(seg.text);
  if (seg.kind === 'same') return t;
  if (markers) return seg.kind === 'del' ? `[-${t}-]` : `{+${t}+}`;
  return seg.kind === 'del' ? st.red(t) : st.green(t);
}

/** Wrap segments at word boundaries to `width` columns (newlines break rows), styling each run once per row. */
function wrap(segs: Seg[], width: number, st: Style, markers: boolean): Row[] {
  const rows: Seg[][] = [[]];
  const widths = [0];
  const newRow = () => {
    rows.push([]);
    widths.push(0);
  };
  const push = (kind: Seg['kind'], piece: string): void => {
    const row = rows.at(-1)!;
    const last = row.at(-1);
    const overhead = markers && kind !== 'same' && last?.kind !== kind ? 4 : 0;
    const used = widths.at(-1)!;
    if (used > 0 && used + piece.length + overhead > width) {
      if (/^\s+$/.test(piece)) return; // a space at a wrap point is not shown
      newRow();
      return push(kind, piece);
    }
    if (piece.length + overhead > width) {
      const room = width - overhead;
      push(kind, piece.slice(0, room));
      newRow();
      return push(kind, piece.slice(room));
    }
    if (last && last.kind === kind) last.text += piece;
    else row.push({ kind, text: piece });
    widths[widths.length - 1] = used + piece.length + overhead;
  };
  for (const seg of segs) {
    // Control characters become visible escapes before measuring, so widths count what is shown.
    visible(seg.text.replace(/\t/g, '  '), '\n').split('\n').forEach((line, i) => {
      if (i > 0) newRow();
      for (const piece of line.match(/\s+|\S+/g) ?? []) push(seg.kind, piece);
    });
  }
  return rows.map((r, i) => ({ text: r.map((sg) => paint(sg, st, markers)).join(''), width: widths[i]! }));
}

function zip(left: Row[], right: Row[], colW: number, st: Style): string[] {
  const n = Math.max(left.length, right.length);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const l = left[i] ?? { text: '', width: 0 };
    const r = right[i] ?? { text: '', width: 0 };
    out.push(`${l.text}${' '.repeat(Math.max(0, colW - l.width))} ${st.dim('│')} ${r.text}`.trimEnd());
  }
  return out;
}

/**
 * Side by side for line diffs: equal lines share a row, a removed block faces the block that replaced it.
 * A `-`/`+` gutter marks changed lines, so the diff reads without colour too.
 */
function sideBySideLines(ops: DiffOp[], colW: number, st: Style): string[] {
  const out: string[] = [];
  const col = (text: string | undefined, kind: Seg['kind']): Row[] => {
    if (text === undefined) return [];
    const gutter = kind === 'same' ? '  ' : kind === 'del' ? st.red('- ') : st.green('+ ');
    return wrap([{ text: text.replace(/\n$/, ''), kind }], colW - 2, st, false).map((r) => ({ text: gutter + r.text, width: r.width + 2 }));
  };
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.op === 'same') out.push(...zip(col(op.text, 'same'), col(op.text, 'same'), colW, st));
    else if (op.op === 'add') out.push(...zip([], col(op.text, 'add'), colW, st));
    else {
      const next = ops[i + 1]?.op === 'add' ? ops[++i]!.text : undefined;
      out.push(...zip(col(op.text, 'del'), col(next, 'add'), colW, st));
    }
  }
  return out;
}

/** Side by side for prose: A's words with removals marked, B's words with additions marked, each wrapped. */
function sideBySideWords(ops: DiffOp[], colW: number, st: Style, markers: boolean): string[] {
  const left = ops.filter((o) => o.op !== 'add').map((o) => ({ text: o.text, kind: o.op }));
  const right = ops.filter((o) => o.op !== 'del').map((o) => ({ text: o.text, kind: o.op }));
  return zip(wrap(left, colW, st, markers), wrap(right, colW, st, markers), colW, st);
}

function fieldRows(fields: FieldDiff[], colW: number, st: Style): string[] {
  const label = Math.min(22, Math.max(...fields.map((f) => f.key.length), 4) + 2);
  return fields.map((f) => {
    const a = cell(f.a ?? '—', colW - label);
    const b = clip(f.b ?? '—', Infinity);
    const mark = (s: string) => (f.same ? st.esc(s) : st.yellow(st.esc(s)));
    return `${st.dim(cell(f.key, label))}${mark(a)} ${st.dim('│')} ${mark(b)}`.trimEnd();
  });
}

function fmtValue(n: number | null, unit: NumberDiff['unit']): string {
  if (n === null) return '—';
  return unit === 'ms' ? fmtMs(n) : unit === 'count' ? fmtNum(n) : fmtNum(n, 1);
}

function timingRows(rows: NumberDiff[], st: Style): string[] {
  const head = st.dim(`${cell('', 18)}${cell('A', 12, 'right')}${cell('B', 12, 'right')}${cell('B - A', 13, 'right')}${cell('B / A', 9, 'right')}`);
  return [
    head,
    ...rows.map((r) => {
      const d = r.a !== null && r.b !== null ? r.b - r.a : null;
      // For times more is worse; for throughput more is better. Counts are neutral.
      const worse = d !== null && d !== 0 && r.unit !== 'count' && (r.unit === 'tok/s' ? d < 0 : d > 0);
      const ds = d === null ? '—' : `${d > 0 ? '+' : ''}${fmtValue(d, r.unit)}`;
      const ratio = r.a && r.b !== null ? `${(r.b / r.a).toFixed(2)}x` : '—';
      const paintD = d === null || d === 0 || r.unit === 'count' ? (s: string) => s : worse ? st.red : st.green;
      return `${cell(r.label, 18)}${cell(fmtValue(r.a, r.unit), 12, 'right')}${cell(fmtValue(r.b, r.unit), 12, 'right')}${paintD(cell(ds, 13, 'right'))}${cell(ratio, 9, 'right')}`;
    }),
  ];
}

function histogramRows(h: TraceDiff['timing']['histogram'], colW: number, st: Style): string[] {
  const max = Math.max(1, ...h.a, ...h.b);
  const bw = Math.max(4, colW - 18);
  return h.labels.map((label, i) => {
    const side = (n: number) => `${cell(`${label} ms`, 11)}${st.cyan(bar(n, max, bw))} ${String(n).padStart(5)}`;
    return `${side(h.a[i]!)} ${st.dim('│')} ${side(h.b[i]!)}`;
  });
}

/** The titles `renderDiff` puts in its section headings (the TUI jumps between them with tab). */
export const DIFF_SECTIONS = ['Request', 'Response', 'Timing'] as const;

/**
 * Render a trace diff as side-by-side columns (A left, B right) for a given width: plain, ANSI or blessed.
 * @example
 * process.stdout.write(renderDiff(diffTraces(a, b), a, b, plainStyle, { width: 100, markers: true }).join('\n'));
 */
export function renderDiff(d: TraceDiff, a: Trace, b: Trace, st: Style, o: DiffRenderOptions): string[] {
  const colW = Math.max(20, Math.floor((o.width - 3) / 2));
  const rule = (title: string) => st.bold(`── ${title} ${'─'.repeat(Math.max(0, o.width - title.length - 4))}`);
  const sub = (title: string) => st.bold(title);
  const who = (t: Trace) => `${t.id}  ${fmtTime(t.timestamp)}  ${t.metadata.model ?? '—'}  ${t.metadata.stream ? 'Stream' : 'Normal'}`;
  const out = [
    ...zip(wrap([{ text: `A  ${who(a)}`, kind: 'same' }], colW, st, false), wrap([{ text: `B  ${who(b)}`, kind: 'same' }], colW, st, false), colW, st),
    st.dim(d.sameContent ? 'Same request and response; only timing differs.' : `Changes: ${o.markers ? '[-only in A-] {+only in B+}' : `${st.red('only in A')}  ${st.green('only in B')}`}`),
    ...(o.notes ?? []).map((n) => st.yellow(st.esc(n))),
    '',
    rule('Request'),
    sub('Messages'),
    ...sideBySideLines(d.request.messages, colW, st),
    '',
    sub('Parameters'),
    ...(d.request.params.length ? fieldRows(d.request.params, colW, st) : [st.dim('(none)')]),
    '',
    rule('Response'),
    sub('Text'),
    ...sideBySideWords(d.response.text, colW, st, o.markers),
  ];
  if (d.response.toolCalls.length) out.push('', sub('Tool calls'), ...sideBySideLines(d.response.toolCalls, colW, st));
  out.push('', ...fieldRows(d.response.fields, colW, st), '', rule('Timing'), ...timingRows(d.timing.rows, st));
  out.push('', sub('Gap distribution'), ...histogramRows(d.timing.histogram, colW, st));
  return out;
}
