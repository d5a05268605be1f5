import { colorsFor } from './color.js';
import { isTraceForgeError } from '../errors.js';
import { oneLine } from '../util/one-line.js';
import type { CliIO } from './io.js';

/** Exit codes: 0 success, 1 failure, 2 usage error. */
export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

/** Print one readable line for an error (the stack only with --debug) and return the exit code. `command` is e.g. `trace list`. */
export function reportError(e: unknown, io: CliIO, debug: boolean, command?: string): number {
  const usage = isTraceForgeError(e) && e.code === 'E_USAGE';
  // An id, path or parser message with a newline or escape sequence in it must not split the line or drive the terminal.
  const message = oneLine(e instanceof Error ? e.message : String(e));
  io.stderr.write(`${colorsFor(io.stderr, io.env).red('traceforge:')} ${message}\n`);
  // Point at the help of the command that was given, where its options are listed.
  if (usage) io.stderr.write(`Run \`traceforge ${command ? `${command} ` : ''}--help\` for usage.\n`);
  if (debug && e instanceof Error) {
    io.stderr.write(`${e.stack ?? ''}\n`);
    if (e.cause) io.stderr.write(`cause: ${e.cause instanceof Error ? e.cause.stack : String(e.cause)}\n`);
  } else if (!isTraceForgeError(e)) {
    io.stderr.write('(run again with --debug for the stack trace)\n');
  }
  return usage ? EXIT_USAGE : EXIT_FAIL;
}
