import blessed from 'blessed';
import { VirtualList } from './virtual-list.js';

/** Small blessed helpers shared by the view, browser and diff screens. */

export type Screen = blessed.Widgets.Screen;
export type Box = blessed.Widgets.BoxElement;
export type Scrollable = Box | VirtualList;

export interface ScreenStreams {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** terminfo name; defaults to $TERM (blessed falls back to xterm). */
  terminal?: string;
  /** Draw on this screen instead of creating one (tests read it back); it is still destroyed at the end. */
  screen?: Screen;
}

export function createScreen(s: ScreenStreams = {}, title = 'TraceForge'): Screen {
  return blessed.screen({
    input: s.input as never,
    output: s.output as never,
    terminal: s.terminal,
    smartCSR: true,
    fullUnicode: true,
    // Sparklines, bars and box lines are UTF-8; without this blessed swaps them for ASCII when LANG does not say UTF-8.
    forceUnicode: true,
    autoPadding: true,
    warnings: false,
    title,
  });
}

/** A bordered, scrollable panel with a label; keys are handled by the screen's own dispatcher. */
export function panel(parent: blessed.Widgets.Node, label: string, extra: blessed.Widgets.BoxOptions = {}): Box {
  return blessed.box({
    parent,
    label: ` ${label} `,
    border: 'line',
    tags: true,
    scrollable: true,
    alwaysScroll: true,
    scrollbar: { ch: ' ', style: { bg: 'gray' } } as never,
    style: { border: { fg: 'gray' }, label: { bold: true } },
    ...extra,
  });
}

/** A bordered frame holding a fixed column-header row and a borderless virtual list under it. */
export function listPanel(parent: blessed.Widgets.Node, label: string): { frame: Box; header: Box; list: VirtualList } {
  const frame = blessed.box({ parent, label: ` ${label} `, border: 'line', tags: true, style: { border: { fg: 'gray' }, label: { bold: true } } });
  const header = blessed.box({ parent: frame, top: 0, left: 0, right: 0, height: 1, tags: true });
  const list = new VirtualList(frame, { top: 1, left: 0, right: 0, bottom: 0 });
  return { frame, header, list };
}

export function bar1(parent: blessed.Widgets.Node, pos: blessed.Widgets.BoxOptions, bg: string): Box {
  return blessed.box({ parent, height: 1, left: 0, width: '100%', tags: true, style: { fg: 'white', bg }, ...pos });
}

/** Arrow, PgUp/PgDn, Home/End on whichever panel has focus. Returns false for other keys. */
export function scrollKey(w: Scrollable, keyName: string | undefined): boolean {
  if (w instanceof VirtualList) {
    const moves: Record<string, () => void> = {
      up: () => w.select(w.selected - 1),
      down: () => w.select(w.selected + 1),
      pageup: () => w.page(-1),
      pagedown: () => w.page(1),
      home: () => w.select(0),
      end: () => w.select(w.length - 1),
    };
    const move = moves[keyName ?? ''];
    move?.();
    return move !== undefined;
  }
  const page = Math.max(1, (w.height as number) - 2);
  const step = { up: -1, down: 1, pageup: -page, pagedown: page, home: -Infinity, end: Infinity }[keyName ?? ''];
  if (step === undefined) return false;
  if (!Number.isFinite(step)) w.setScrollPerc(step < 0 ? 0 : 100);
  else w.scroll(step);
  return true;
}

/** A panel that can take focus: the frame whose border lights up and the widget that scrolls. */
export interface Focusable {
  frame: Box;
  target: Scrollable;
}

/** Highlight the focused panel's border so `tab` has a visible effect. */
export function markFocus(panels: readonly Focusable[], focused: Focusable): void {
  for (const p of panels) (p.frame.style as { border: { fg: string } }).border.fg = p === focused ? 'cyan' : 'gray';
  focused.target.focus();
}

/** The screen as plain text, one string per row: what a user would see, for tests and captures. */
export function screenText(screen: Screen): string {
  const lines = (screen as unknown as { lines: Array<Array<[number, string]>> }).lines;
  return lines.map((row) => row.map((c) => c[1]).join('').trimEnd()).join('\n');
}
