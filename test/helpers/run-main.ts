/**
 * Run the CLI's main() in-process against src/, as `traceforge <args>` in a directory: output captured,
 * exit code returned, Ctrl-C sent with interrupt(). No build, no process start, so a test sees the
 * sources as they are. (The built bin has a few smoke tests of its own: test/cli/bin.test.ts.)
 */
import type { CliIO, CliStream } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { watchOutput } from './output-watch.js';

export interface MainResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface MainOptions {
  /** Directory to run in: main() resolves paths against process.cwd(), so it is changed for the run. */
  cwd?: string;
  /** Added to a colour-neutral copy of process.env (NO_COLOR and FORCE_COLOR removed); undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** Make stdout and stderr look like a terminal this wide. */
  tty?: { columns: number };
}

export interface RunningMain {
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the first match of `pattern` in stdout + stderr, as soon as it appears. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  /** What Ctrl-C does (SIGINT to every onInterrupt listener). */
  interrupt(signal?: NodeJS.Signals): void;
  exited: Promise<MainResult>;
}

// main() reads paths against process.cwd(), which is one per process: runs in different directories
// cannot overlap. Tests in a file run one after another, so this only catches a mistake.
let active: { cwd: string; runs: number } | undefined;

function enter(cwd: string | undefined): () => void {
  if (cwd === undefined) return () => {};
  if (active && active.cwd !== cwd) throw new Error(`runMain: a run in ${active.cwd} is still going; in-process runs in different directories cannot overlap`);
  const previous = active ? undefined : process.cwd();
  active ??= { cwd, runs: 0 };
  active.runs++;
  process.chdir(cwd);
  return () => {
    if (--active!.runs > 0) return;
    active = undefined;
    if (previous !== undefined) process.chdir(previous);
  };
}

/** Start `traceforge <args>` in-process; for commands that run until interrupted (record, replay). */
export function startMain(args: string[], options: MainOptions = {}): RunningMain {
  const output = watchOutput();
  const stream = (append: (s: string) => void): CliStream => ({
    write(text: string) {
      append(text);
      return true;
    },
    isTTY: options.tty !== undefined,
    columns: options.tty?.columns,
  });
  const listeners = new Set<(signal: NodeJS.Signals) => void>();
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  // An override of undefined removes the variable (a child process would get the string "undefined").
  for (const k of ['NO_COLOR', 'FORCE_COLOR', ...Object.keys(options.env ?? {})]) if (options.env?.[k] === undefined) delete env[k];
  const io: CliIO = {
    stdout: stream((s) => output.out(s)),
    stderr: stream((s) => output.err(s)),
    stdin: { isTTY: false },
    env,
    onInterrupt(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const leave = enter(options.cwd);
  let code: number | undefined;
  const exited = main(['node', 'traceforge', ...args], io)
    .then((c) => ({ code: (code = c), stdout: output.stdout, stderr: output.stderr }))
    .finally(leave);
  return {
    get stdout() {
      return output.stdout;
    },
    get stderr() {
      return output.stderr;
    },
    waitFor: (pattern) =>
      output.waitFor(pattern, exited, () => new Error(`traceforge ${args.join(' ')} returned ${code} before printing ${pattern}\nstdout: ${output.stdout}\nstderr: ${output.stderr}`)),
    interrupt(signal = 'SIGINT') {
      for (const l of [...listeners]) l(signal);
    },
    exited,
  };
}

/** `traceforge <args>` in-process, to its exit code. */
export function runMain(args: string[], options: MainOptions = {}): Promise<MainResult> {
  return startMain(args, options).exited;
}
