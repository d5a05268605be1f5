import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { TraceForgeError } from '../errors.js';

export interface ChildResult {
  /** The command's exit code; for a command killed by a signal, 128 + the signal number as shells report it. */
  code: number;
  /** The signal that ended the command, if one did. */
  signal?: NodeJS.Signals;
}

export interface RunChildOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * Where interrupts come from: calls the listener on each SIGINT/SIGTERM until the returned function is
   * called. Default: this process's own signals. The CLI passes its io's, so an in-process run (a test)
   * interrupts the command the same way.
   */
  onInterrupt?: (listener: (signal: NodeJS.Signals) => void) => () => void;
}

function processSignals(listener: (signal: NodeJS.Signals) => void): () => void {
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}

/**
 * Run `command args...` with inherited stdio and wait for it. SIGINT and SIGTERM sent to us are
 * passed on (a terminal's Ctrl-C already reaches the whole process group, but a `kill` of our pid
 * alone must stop the command too); a second one sends SIGKILL. The caller decides the exit code.
 *
 * @example
 * const { code } = await runChild('node', ['app.js'], { env: await buildChildEnv({ proxyUrl: rec.url }) });
 */
export function runChild(command: string, args: string[], options: RunChildOptions): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', env: options.env, cwd: options.cwd });
    let signals = 0;
    const forward = (sig: NodeJS.Signals) => {
      signals++;
      if (child.exitCode === null && child.signalCode === null) child.kill(signals > 1 ? 'SIGKILL' : sig);
    };
    const done = (options.onInterrupt ?? processSignals)(forward);
    child.once('error', (e: NodeJS.ErrnoException) => {
      done();
      const why = e.code === 'ENOENT' ? 'command not found' : e.code === 'EACCES' ? 'permission denied' : e.message;
      reject(new TraceForgeError('E_USAGE', `could not run \`${[command, ...args].join(' ')}\`: ${why}. Check the command after \`--\` (is it on PATH?)`, { cause: e }));
    });
    child.once('exit', (code, signal) => {
      done();
      if (signal) resolve({ code: 128 + (constants.signals[signal] ?? 0), signal });
      else resolve({ code: code ?? 1 });
    });
  });
}
