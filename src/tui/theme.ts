import { blessedTags, type Style } from './style.js';

/**
 * Every colour the full-screen views draw, chosen once per screen from what the terminal can show
 * and whether the user wants colour at all (https://no-color.org).
 *
 * Greys: blessed reduces colour 8 (bright black, "gray") to 0 (black) on a terminal it believes has
 * 8 colours, so labels and borders vanish on a black background. It believes so more often than it
 * should: it cannot read ncurses 6's terminfo format (tmux-256color, screen-256color on current
 * distributions) and falls back to its own 8-colour xterm entry. `terminalColors` corrects the count
 * from the terminal's name, and where only 8 colours are left grey becomes white (light grey on
 * most terminals), never black.
 *
 * Without colour, structure is drawn with attributes instead: bars and the selection inverse, the
 * focused border bold.
 */
export interface Theme {
  color: boolean;
  /** blessed-tag builders for content. */
  st: Style;
  /** The title bar and the key bar. */
  bar(kind: 'title' | 'keys'): Record<string, unknown>;
  /** A panel border, lit when it has focus. */
  border(focused: boolean): { fg?: string; bold?: boolean };
  scrollbar: Record<string, unknown>;
  /** A selected list row (blessed tags around an already tagged row). */
  selected(row: string): string;
}

/** xterm and its kin draw the 16 aixterm colours (SGR 90-97) whatever their terminfo entry says. */
const SIXTEEN = /^(xterm|screen|tmux|rxvt|alacritty|kitty|foot|st|konsole|gnome|vte|wezterm|iterm|putty)/;

/** How many colours `term` shows: blessed's count from terminfo, raised by what the name or COLORTERM promise. */
export function terminalColors(term: string | undefined, terminfoColors: number, env: NodeJS.ProcessEnv = process.env): number {
  const name = (term ?? '').toLowerCase();
  let hint = 0;
  if (/256colou?r|-direct|truecolor/.test(name) || /^(truecolor|24bit)$/i.test(env.COLORTERM ?? '')) hint = 256;
  else if (SIXTEEN.test(name)) hint = 16;
  return Math.max(terminfoColors || 0, hint);
}

export function makeTheme(colors: number, env: NodeJS.ProcessEnv = process.env): Theme {
  const color = !env.NO_COLOR && colors > 2;
  if (!color) {
    return {
      color,
      st: blessedTags(null),
      bar: () => ({ inverse: true }),
      border: (focused) => (focused ? { bold: true } : {}),
      scrollbar: { inverse: true },
      selected: (row) => `{inverse}${row}{/inverse}`,
    };
  }
  const grey = colors >= 16 ? 'gray' : 'white';
  return {
    color,
    st: blessedTags(grey),
    bar: (kind) => (kind === 'title' ? { fg: 'white', bg: 'blue' } : { fg: 'white', bg: 'black' }),
    border: (focused) => ({ fg: focused ? 'cyan' : grey }),
    scrollbar: { bg: grey },
    selected: (row) => `{blue-bg}{white-fg}${row}{/white-fg}{/blue-bg}`,
  };
}
