import { PassThrough, Writable } from 'node:stream';
import { createScreen, screenText, type Screen } from '../../src/tui/widgets.js';

/**
 * An in-process terminal for blessed: keys go in through a PassThrough, escape sequences come out
 * into a string, and `text()` reads back what the screen shows, row by row.
 */
export interface FakeTerminal {
  input: PassThrough;
  output: Writable & { columns: number; rows: number; isTTY: true };
  terminal: string;
  /** What the screen reads NO_COLOR, COLORTERM and TERM from. */
  env: NodeJS.ProcessEnv;
  /** Everything blessed wrote, escape codes included. */
  written(): string;
}

/** `env.TERM` names the terminal (xterm unless given); the rest of `env` is all the screen sees of the environment. */
export function fakeTerminal(columns = 120, rows = 40, env: NodeJS.ProcessEnv = {}): FakeTerminal {
  const input = new PassThrough();
  let out = '';
  const output = Object.assign(
    new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        out += chunk.toString();
        cb();
      },
    }),
    { columns, rows, isTTY: true as const },
  );
  return { input, output, terminal: env.TERM ?? 'xterm', env, written: () => out };
}

/** Let stream and key events run. */
export const settle = () => new Promise<void>((r) => setImmediate(r));

/** Type keys (one string per key press) and let blessed handle them. */
export async function press(term: FakeTerminal, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    term.input.write(k);
    await settle();
  }
}

export const KEY = { tab: '\t', enter: '\r', escape: '\x1b', pageDown: '\x1b[6~', end: '\x1b[F', down: '\x1b[B', ctrlC: '\x03' } as const;

export function openScreen(term: FakeTerminal): Screen {
  return createScreen(term);
}

/**
 * The colours the terminal was told to draw, from every SGR sequence written: `fg 30`, `bg 44`,
 * `fg 38;5;244`. Attributes (bold, inverse) and resets are left out.
 */
export function colourCodes(written: string): string[] {
  const out = new Set<string>();
  for (const m of written.matchAll(/\x1b\[([0-9;]*)m/g)) {
    const p = m[1]!.split(';').map(Number);
    for (let i = 0; i < p.length; i++) {
      const n = p[i]!;
      if (n === 38 || n === 48) {
        out.add(`${n === 38 ? 'fg' : 'bg'} ${p.slice(i, i + 3).join(';')}`);
        i += 2;
      } else if ((n >= 30 && n <= 37) || (n >= 90 && n <= 97)) out.add(`fg ${n}`);
      else if ((n >= 40 && n <= 47) || (n >= 100 && n <= 107)) out.add(`bg ${n}`);
    }
  }
  return [...out].sort();
}

export function text(screen: Screen): string {
  screen.render();
  return screenText(screen);
}
