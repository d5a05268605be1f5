import blessed from 'blessed';

/** Small blessed helpers shared by the view, browser and diff screens. */

export type Screen = blessed.Widgets.Screen;
export type Box = blessed.Widgets.BoxElement;
export type List = blessed.Widgets.ListElement;
export type Scrollable = Box | List;

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

/** A bordered frame holding a fixed column-header row and a borderless list under it. */
export function listPanel(parent: blessed.Widgets.Node, label: string): { frame: Box; header: Box; list: List } {
  const frame = blessed.box({ parent, label: ` ${label} `, border: 'line', tags: true, style: { border: { fg: 'gray' }, label: { bold: true } } });
  const header = blessed.box({ parent: frame, top: 0, left: 0, right: 0, height: 1, tags: true });
  const list = blessed.list({
    parent: frame,
    top: 1,
    left: 0,
    right: 0,
    bottom: 0,
    tags: true,
    scrollbar: { ch: ' ', style: { bg: 'gray' } } as never,
    style: { selected: { bg: 'blue', fg: 'white' } },
  });
  return { frame, header, list };
}

export function bar1(parent: blessed.Widgets.Node, pos: blessed.Widgets.BoxOptions, bg: string): Box {
  return blessed.box({ parent, height: 1, left: 0, width: '100%', tags: true, style: { fg: 'white', bg }, ...pos });
}

function isList(w: Scrollable): w is List {
  return (w as List).type === 'list';
}

/** Arrow, PgUp/PgDn, Home/End on whichever panel has focus. Returns false for other keys. */
export function scrollKey(w: Scrollable, keyName: string | undefined): boolean {
  const page = Math.max(1, (w.height as number) - (isList(w) ? 0 : 2));
  const step = { up: -1, down: 1, pageup: -page, pagedown: page, home: -Infinity, end: Infinity }[keyName ?? ''];
  if (step === undefined) return false;
  if (isList(w)) {
    const items = (w as unknown as { items: unknown[] }).items.length;
    const cur = (w as unknown as { selected: number }).selected;
    const to = Math.max(0, Math.min(items - 1, Number.isFinite(step) ? cur + step : step < 0 ? 0 : items - 1));
    // Page down turns a whole page: bring the page below into view, then select its first row.
    if (keyName === 'pagedown') w.scrollTo(Math.min(items - 1, to + page - 1));
    w.select(to);
  } else if (!Number.isFinite(step)) w.setScrollPerc(step < 0 ? 0 : 100);
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
