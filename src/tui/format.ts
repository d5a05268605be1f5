/** Number and text formatting shared by the CLI tables, the text view and the TUI. */
import { visible } from '../util/visible.js';

/** `0.8 ms`, `312.5 ms`, `1.52 s`; `—` when unknown. */
export function fmtMs(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return '—';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms.toFixed(1)} ms`;
}

export function fmtNum(n: number | null | undefined, digits = 0): string {
  return n == null || !Number.isFinite(n) ? '—' : n.toFixed(digits);
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Local wall time `2026-11-24 15:41:00`; the raw string when it does not parse. */
export function fmtTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** One line, at most `width` characters, with an ellipsis when cut; control characters shown as escapes (`\x1b`). */
export function clip(s: string, width: number): string {
  const flat = visible(s.replace(/\r?\n/g, '⏎').replace(/\t/g, ' '));
  if (width <= 0) return '';
  return flat.length > width ? `${flat.slice(0, Math.max(0, width - 1))}…` : flat;
}

/** `text` cut to `width` characters in the middle, keeping both ends (`/model/anthr…/converse-stream`). */
export function middle(text: string, width: number): string {
  if (text.length <= width) return text;
  const tail = Math.floor((width - 1) / 2);
  return `${text.slice(0, width - 1 - tail)}…${text.slice(text.length - tail)}`;
}

/** A text cell padded to `width` (left-aligned, or right-aligned for numbers). */
export function cell(s: string, width: number, align: 'left' | 'right' = 'left'): string {
  const c = clip(s, width);
  return align === 'right' ? c.padStart(width) : c.padEnd(width);
}

const BLOCKS = ' ▏▎▍▌▋▊▉█';

/** A horizontal bar of `value / max` over `width` cells, with eighth-cell resolution. */
export function bar(value: number, max: number, width: number): string {
  if (max <= 0 || width <= 0) return ' '.repeat(Math.max(0, width));
  const eighths = Math.round(Math.min(1, Math.max(0, value / max)) * width * 8);
  const full = Math.floor(eighths / 8);
  const rest = eighths % 8;
  return ('█'.repeat(full) + (rest > 0 ? BLOCKS[rest] : '')).padEnd(width);
}

/** `[██████░░░░]  62%` style progress bar. */
export function progressBar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(f * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}
