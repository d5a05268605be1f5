import blessed from 'blessed';
import { makeTheme, terminalColors, type Theme } from './theme.js';
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
  /** NO_COLOR, COLORTERM and TERM are read from here; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

const themes = new WeakMap<Screen, Theme>();

/** The colours `screen` draws with (see theme.ts). */
export function themeOf(node: blessed.Widgets.Node): Theme {
  const screen = ((node as { screen?: Screen }).screen ?? node) as Screen;
  let theme = themes.get(screen);
  if (!theme) {
    theme = makeTheme((screen.tput as unknown as { colors: number }).colors);
    themes.set(screen, theme);
  }
  return theme;
}

export function createScreen(s: ScreenStreams = {}, title = 'TraceForge'): Screen {
  const env = s.env ?? process.env;
  const screen = blessed.screen({
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
  // blessed reduces colours to the count it read from terminfo, which is often too low (theme.ts says why).
  const tput = screen.tput as unknown as { colors: number };
  tput.colors = terminalColors(s.terminal ?? env.TERM, tput.colors, env);
  themes.set(screen, makeTheme(tput.colors, env));
  return screen;
}

/** A bordered, scrollable panel with a label; keys are handled by the screen's own dispatcher. */
export function panel(parent: blessed.Widgets.Node, label: string, extra: blessed.Widgets.BoxOptions = {}): Box {
  const theme = themeOf(parent);
  return blessed.box({
    parent,
    label: ` ${label} `,
    border: 'line',
    tags: true,
    scrollable: true,
    alwaysScroll: true,
    scrollbar: { ch: ' ', style: theme.scrollbar } as never,
    style: { border: theme.border(false), label: { bold: true } },
    ...extra,
  });
}

/** A bordered frame holding a fixed column-header row and a borderless virtual list under it. */
export function listPanel(parent: blessed.Widgets.Node, label: string): { frame: Box; header: Box; list: VirtualList } {
  const frame = blessed.box({ parent, label: ` ${label} `, border: 'line', tags: true, style: { border: themeOf(parent).border(false), label: { bold: true } } });
  const header = blessed.box({ parent: frame, top: 0, left: 0, right: 0, height: 1, tags: true });
  const list = new VirtualList(frame, themeOf(parent), { top: 1, left: 0, right: 0, bottom: 0 });
  return { frame, header, list };
}

export function bar1(parent: blessed.Widgets.Node, pos: blessed.Widgets.BoxOptions, kind: 'title' | 'keys'): Box {
  return blessed.box({ parent, height: 1, left: 0, width: '100%', tags: true, style: themeOf(parent).bar(kind), ...pos });
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
  for (const p of panels) (p.frame.style as { border: object }).border = themeOf(p.frame).border(p === focused);
  focused.target.focus();
}

/** The screen as plain text, one string per row: what a user would see, for tests and captures. */
export function screenText(screen: Screen): string {
  const lines = (screen as unknown as { lines: Array<Array<[number, string]>> }).lines;
  return lines.map((row) => row.map((c) => c[1]).join('').trimEnd()).join('\n');
}

/** One key of a key bar: the key, what it does, and shorter words for both on a narrow terminal. */
export type KeyHelp = readonly [key: string, does: string, shortDoes?: string, shortKey?: string];

/**
 * The key bar's content for `width` columns: every key always, with shorter words and then tighter
 * spacing when the terminal is narrow (a key cut off the end of the bar cannot be discovered).
 */
export function keyBar(keys: readonly KeyHelp[], width: number): string {
  const tries = [
    { short: false, gap: '  ' },
    { short: true, gap: '  ' },
    { short: true, gap: ' ' },
  ];
  const render = (t: (typeof tries)[number], bold: boolean) =>
    ` ${keys
      .map(([key, does, shortDoes, shortKey]) => {
        const k = t.short ? (shortKey ?? key) : key;
        return `${bold ? `{bold}${k}{/bold}` : k} ${t.short ? (shortDoes ?? does) : does}`;
      })
      .join(t.gap)}`;
  const fits = tries.find((t) => [...render(t, false)].length <= width) ?? tries.at(-1)!;
  return render(fits, true);
}
