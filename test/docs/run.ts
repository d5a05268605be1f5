import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './blocks.js';

export const BIN = join(ROOT, 'dist', 'cli', 'bin.js');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * The environment a user's shell would give: no vitest worker variables (a nested vitest would take them
 * as its own), no CI or TraceForge settings unless the command sets them, no colour, UTC.
 */
export function userEnv(extra: Record<string, string | undefined> = {}, pathPrefix?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(VITEST|TRACEFORGE_|CI$|NODE_OPTIONS$|FORCE_COLOR$|TEST$|NODE_ENV$)/.test(k)) continue;
    env[k] = v;
  }
  Object.assign(env, { NO_COLOR: '1', TZ: 'UTC' }, extra);
  if (pathPrefix) env.PATH = `${pathPrefix}:${env.PATH ?? ''}`;
  return env;
}

export function run(argv: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<RunResult> {
  const t0 = performance.now();
  return new Promise((ok, fail) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      ok({ code, signal, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

export function traceforge(args: string[], cwd: string, env: NodeJS.ProcessEnv = userEnv()): Promise<RunResult> {
  return run([process.execPath, BIN, ...args], cwd, env);
}

/** Start a long-running command, wait until its output matches `ready`, then hand back the process. */
export function startUntil(argv: string[], cwd: string, env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs = 30_000) {
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((ok) =>
    child.on('close', (code, signal) => ok({ code, signal, out })),
  );
  const started = new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`not ready after ${timeoutMs} ms (waiting for ${ready}); output:\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d;
      if (ready.test(out)) {
        clearTimeout(timer);
        ok(out);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((r) => {
      clearTimeout(timer);
      fail(new Error(`exited (${r.code ?? r.signal}) before it was ready:\n${r.out}`));
    });
  });
  return { child, started, exited, output: () => out };
}

const helpCache = new Map<string, Promise<Set<string>>>();

/** The flags `traceforge <command> --help` lists, e.g. for `trace list`: --json, --stream, ... */
export function helpFlags(command: string[]): Promise<Set<string>> {
  const key = command.join(' ');
  let p = helpCache.get(key);
  if (!p) {
    p = traceforge([...command, '--help'], ROOT).then((r) => {
      if (r.code !== 0) throw new Error(`traceforge ${key} --help exited ${r.code}: ${r.stderr || r.stdout}`);
      const flags = new Set<string>();
      for (const line of r.stdout.split('\n')) {
        const m = /^\s+(?:(-[A-Za-z]),\s+)?(--[A-Za-z][\w-]*)/.exec(line);
        if (m) {
          if (m[1]) flags.add(m[1]);
          flags.add(m[2]!);
        }
      }
      if (flags.size === 0) throw new Error(`traceforge ${key} --help lists no options:\n${r.stdout}`);
      return flags;
    });
    helpCache.set(key, p);
  }
  return p;
}

/** The command words of `traceforge trace list --json`: ['trace', 'list']; ['demo']; [] for `--help`. */
export function commandOf(args: string[]): string[] {
  if (args[0] === 'trace' && args[1] && !args[1].startsWith('-')) return ['trace', args[1]];
  if (args[0] && !args[0].startsWith('-')) return [args[0]];
  return [];
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * A line of CLI output with what changes from run to run taken out: durations become `#t` (`57ms` and
 * `1.31 s` alike), other numbers (sizes, dates, counts, signed or not) `#`, a recorded trace's random id in its file name
 * `<id>`, bar and sparkline glyphs `▮`, runs of spaces one space. Labels, words, ids typed in the
 * command and the order of lines stay.
 */
export function mask(line: string): string {
  return line
    .replace(ANSI, '')
    .replace(/_[0-9a-f]{12}\.json/g, '_<id>.json')
    .replace(/[+-]?\d+(?:\.\d+)?\s?(?:ms|s)\b/g, '#t')
    .replace(/[+-]?\d+(?:[.,]\d+)*/g, '#')
    .replace(/[▁▂▃▄▅▆▇█▏▎▍▌▋▊▉░]+/g, '▮')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Each line the docs show must appear in the real output, in order (other lines may come between).
 * A line that is only `…` stands for lines left out; a line ending in `…` was cut, so its start must match.
 * Returns the first doc line (0-based) not found, or -1.
 */
export function findMissingLine(docLines: string[], realOutput: string): number {
  const real = realOutput.split('\n').map(mask).filter(Boolean);
  let at = 0;
  for (let i = 0; i < docLines.length; i++) {
    const raw = docLines[i]!.trim();
    if (raw === '' || raw === '…') continue;
    const cut = raw.endsWith('…');
    const want = mask(cut ? raw.slice(0, -1) : raw);
    // A real line may go on after what the docs show (a note such as `timing may be off ...`), by whole words.
    const found = real.findIndex((l, j) => j >= at && (cut ? l.startsWith(want) : l === want || l.startsWith(`${want} `)));
    if (found < 0) return i;
    at = found + 1;
  }
  return -1;
}
