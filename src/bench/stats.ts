/** Percentiles and table rows shared by the benchmark sections. */

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface Spread {
  p50: number;
  p99: number;
  max: number;
  n: number;
}

/** p50, p99 and max of the absolute values. */
export function spread(values: readonly number[]): Spread {
  const abs = values.map(Math.abs).sort((a, b) => a - b);
  return { p50: percentile(abs, 50), p99: percentile(abs, 99), max: abs.at(-1) ?? Number.NaN, n: abs.length };
}

export const fmt = (n: number, digits = 3): string => (Number.isFinite(n) ? n.toFixed(digits) : '—');
export const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(0)} MB`;

/** A fixed-width table: the first column left-aligned, the rest right-aligned. */
export function table(header: string[], rows: Array<Array<string | number>>, indent = '  '): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return cells
    .map((r) => indent + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '))
    .join('\n');
}

/** Sample this process's RSS until stopped; returns the peak seen (bytes). */
export function watchRss(everyMs = 20): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}
