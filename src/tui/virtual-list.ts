import blessed from 'blessed';
import type { Theme } from './theme.js';

/**
 * A selectable list that only ever hands blessed the rows on screen. blessed's own List makes one
 * element per item, so a 20,000-chunk timeline or a 10,000-trace browser took seconds per key press;
 * this keeps every key press proportional to the panel height.
 */
export class VirtualList {
  readonly box: blessed.Widgets.BoxElement;
  private rows: readonly string[] = [];
  private sel = 0;
  private top = 0;
  /** Called after every redraw, e.g. to show the position in a label. */
  onChange?: (selected: number, length: number) => void;

  /** `theme` marks the selected row. */
  constructor(parent: blessed.Widgets.Node, private readonly theme: Theme, options: blessed.Widgets.BoxOptions = {}) {
    this.box = blessed.box({ parent, tags: true, wrap: false, ...options });
    this.box.on('resize', () => this.draw());
  }

  get selected(): number {
    return this.sel;
  }

  get length(): number {
    return this.rows.length;
  }

  /** Rows are blessed-tag strings already clipped to the panel width. */
  setRows(rows: readonly string[]): void {
    this.rows = rows;
    this.sel = Math.min(this.sel, Math.max(0, rows.length - 1));
    this.top = Math.min(this.top, Math.max(0, rows.length - this.height()));
    this.draw();
  }

  /** Select row `i` (clamped) and scroll just enough to show it. */
  select(i: number): void {
    const h = this.height();
    this.sel = Math.max(0, Math.min(this.rows.length - 1, i));
    if (this.sel < this.top) this.top = this.sel;
    else if (this.sel >= this.top + h) this.top = this.sel - h + 1;
    this.draw();
  }

  /** Turn a page: the view and the selection both move by the panel height. */
  page(direction: 1 | -1): void {
    const h = this.height();
    this.top = Math.max(0, Math.min(Math.max(0, this.rows.length - h), this.top + direction * h));
    this.select(this.sel + direction * h);
  }

  focus(): void {
    this.box.focus();
  }

  private height(): number {
    const h = typeof this.box.height === 'number' ? this.box.height : 1;
    return Math.max(1, h - (this.box.border ? 2 : 0));
  }

  private draw(): void {
    const h = this.height();
    const lines = this.rows.slice(this.top, this.top + h).map((r, k) => (this.top + k === this.sel ? this.theme.selected(r) : r));
    this.box.setContent(lines.join('\n'));
    this.onChange?.(this.sel, this.rows.length);
  }
}
