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
  /** Everything blessed wrote, escape codes included. */
  written(): string;
}

export function fakeTerminal(columns = 120, rows = 40): FakeTerminal {
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
  return { input, output, terminal: 'xterm', written: () => out };
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

export function text(screen: Screen): string {
  screen.render();
  return screenText(screen);
}
