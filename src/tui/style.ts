import pc from 'picocolors';
import { visible } from '../util/visible.js';

/**
 * One set of text builders, three outputs: plain text, ANSI colours (picocolors) and blessed tags.
 * Panels are written once against this interface and shown by `--text`, pipes and the TUI alike.
 * Builders must pass any recorded content through `esc` before styling it: in every style it shows
 * control characters and escape sequences as visible escapes (`\x1b`), keeping newlines and tabs.
 */
export interface Style {
  esc(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  magenta(s: string): string;
  cyan(s: string): string;
}

const id = (s: string) => s;

export const plainStyle: Style = { esc: (s) => visible(s), bold: id, dim: id, red: id, green: id, yellow: id, magenta: id, cyan: id };

export function ansiStyle(): Style {
  const c = pc.createColors(true);
  return { esc: (s) => visible(s), bold: c.bold, dim: c.dim, red: c.red, green: c.green, yellow: c.yellow, magenta: c.magenta, cyan: c.cyan };
}

const tag = (name: string) => (s: string) => (s === '' ? s : `{${name}}${s}{/${name}}`);

/**
 * blessed tag markup; control characters shown as escapes, and `{` and `}` in content become `{open}` / `{close}`
 * so recorded text cannot inject tags. `grey` is the colour `dim` uses; null draws no colour at all (NO_COLOR),
 * only bold. The full-screen views take theirs from `Theme` (theme.ts), which picks per terminal.
 */
export function blessedTags(grey: string | null): Style {
  const colour = (name: string) => (grey === null ? id : tag(`${name}-fg`));
  return {
    esc: (s) => visible(s).replace(/[{}]/g, (ch) => (ch === '{' ? '{open}' : '{close}')),
    bold: tag('bold'),
    dim: grey === null ? id : tag(`${grey}-fg`),
    red: colour('red'),
    green: colour('green'),
    yellow: colour('yellow'),
    magenta: colour('magenta'),
    cyan: colour('cyan'),
  };
}

/**
 * Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org). FORCE_COLOR opts in.
 * picocolors' own check also turns colour on whenever CI is set, which would put escape codes into pipes.
 */
export function shouldColor(out: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return out.isTTY === true && env.TERM !== 'dumb';
}

export function styleFor(out: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  return shouldColor(out, env) ? ansiStyle() : plainStyle;
}

/** blessed tags with grey for `dim`, as a 16- or 256-colour terminal shows them. */
export const blessedStyle: Style = blessedTags('gray');
