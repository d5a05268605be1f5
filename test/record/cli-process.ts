/** Spawn the built `traceforge` bin for record tests: piped output, wait for a line, send signals. */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { watchOutput } from '../helpers/output-watch.js';

export const BIN = resolve(import.meta.dirname, '../../dist/cli/bin.js');
export const FIXTURES = resolve(import.meta.dirname, 'fixtures');

export interface RunningCli {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the first match of `pattern` in stdout + stderr, as soon as it appears. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startCli(cwd: string, args: string[], env: Record<string, string | undefined> = {}): RunningCli {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const k of ['FORCE_COLOR', 'OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'OLLAMA_HOST', 'HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy', 'NODE_EXTRA_CA_CERTS']) delete base[k];
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = watchOutput();
  child.stdout!.on('data', (d) => output.out(String(d)));
  child.stderr!.on('data', (d) => output.err(String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) => child.on('close', (code, signal) => ok({ code, signal })));
  return {
    child,
    get stdout() {
      return output.stdout;
    },
    get stderr() {
      return output.stderr;
    },
    waitFor: (pattern) => output.waitFor(pattern, exited, () => new Error(`traceforge exited before printing ${pattern}\nstdout: ${output.stdout}\nstderr: ${output.stderr}`)),
    exited,
  };
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
