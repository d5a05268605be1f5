/**
 * The test runner a swept command runs and its per-test timeout, read from the command line, the
 * package.json script it names and the runner's config file: a stall on the wall clock must end before
 * it, or every stall run fails on the runner's timeout whatever the app does.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DEFAULT_STALL_MS } from './points.js';

export interface RunnerTimeout {
  runner: 'vitest' | 'jest' | 'node:test';
  /** The per-test timeout, ms; undefined for none (node:test's default). */
  ms: number | undefined;
  /** Where it was read: `its default`, `--testTimeout`, `vitest.config.ts`... */
  from: string;
}

const DEFAULTS: Record<RunnerTimeout['runner'], number | undefined> = { vitest: 5000, jest: 5000, 'node:test': undefined };
const CONFIGS: Record<RunnerTimeout['runner'], string[]> = {
  vitest: ['vitest.config', 'vite.config'].flatMap((b) => ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'].map((e) => b + e)),
  jest: ['jest.config.js', 'jest.config.ts', 'jest.config.mjs', 'jest.config.cjs', 'jest.config.json'],
  'node:test': [],
};

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** The words of a command, with those of the package.json script an `npm test` / `npm run x` (pnpm, yarn) runs. */
function commandWords(command: string, args: readonly string[], cwd: string): string[] {
  const words = [command, ...args];
  const i = words.findIndex((w) => /^(npm|pnpm|yarn|bun)$/.test(basename(w)));
  if (i < 0) return words;
  const rest = words.slice(i + 1).filter((w) => !w.startsWith('-'));
  const script = rest[0] === 'run' || rest[0] === 'run-script' ? rest[1] : rest[0] === 'test' || rest[0] === 't' ? 'test' : rest[0];
  let scripts: Record<string, unknown> | undefined;
  try {
    scripts = (JSON.parse(read(join(cwd, 'package.json')) ?? '{}') as { scripts?: Record<string, unknown> }).scripts;
  } catch {
    scripts = undefined;
  }
  const text = script === undefined ? undefined : scripts?.[script];
  return typeof text === 'string' ? [...words, ...text.split(/\s+/)] : words;
}

const number = (text: string | undefined): number | undefined => {
  const n = text === undefined ? NaN : Number(text.replace(/_/g, ''));
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

/**
 * The runner `command args` runs (directly, through npx, or through a package.json script) and its test
 * timeout: a flag on the command line, else its config file in `cwd`, else the runner's default.
 * Undefined when the command is none of vitest, jest and `node --test`.
 *
 * @example runnerTimeout('npx', ['vitest', 'run'], '/app') // { runner: 'vitest', ms: 5000, from: 'its default' }
 */
export function runnerTimeout(command: string, args: readonly string[], cwd: string): RunnerTimeout | undefined {
  const words = commandWords(command, args, cwd);
  const runner: RunnerTimeout['runner'] | undefined = words.some((w) => /^vitest(\.m?js)?$/.test(basename(w)))
    ? 'vitest'
    : words.some((w) => /^jest(\.js)?$/.test(basename(w)))
      ? 'jest'
      : words.includes('--test')
        ? 'node:test'
        : undefined;
  if (!runner) return undefined;
  const flag = runner === 'node:test' ? /^--test-timeout(?:=(.*))?$/ : /^--test-?[tT]imeout(?:=(.*))?$/;
  for (let i = 0; i < words.length; i++) {
    const m = flag.exec(words[i]!);
    const ms = m && number(m[1] ?? words[i + 1]);
    if (ms) return { runner, ms, from: m[0].split('=')[0]! };
  }
  for (const file of CONFIGS[runner]) {
    const m = /testTimeout\s*:\s*([\d_]+)/.exec(read(join(cwd, file)) ?? '');
    if (m && number(m[1])) return { runner, ms: number(m[1]), from: file };
  }
  if (runner === 'jest') {
    const m = /"testTimeout"\s*:\s*(\d+)/.exec(read(join(cwd, 'package.json')) ?? '');
    if (m) return { runner, ms: number(m[1]), from: 'package.json' };
  }
  return { runner, ms: DEFAULTS[runner], from: 'its default' };
}

/**
 * The stall a sweep on the wall clock uses when not told: half the runner's test timeout (at most
 * DEFAULT_STALL_MS), so that a stall run fails on what the app does and not on the runner's timeout;
 * with a note that names that timeout, or warns when `given` is not shorter than it.
 */
export function wallStall(given: number | undefined, timeout: RunnerTimeout | undefined): { stallMs: number; note?: string } {
  const limit = timeout?.ms;
  const named = limit === undefined ? '' : `${timeout!.runner}'s test timeout (${limit} ms, ${timeout!.from})`;
  if (given !== undefined) {
    if (limit === undefined || given < limit) return { stallMs: given };
    return { stallMs: given, note: `--stall-ms ${given} is not shorter than ${named}: a stall run fails on the runner's timeout whatever the app does; pass a shorter --stall-ms` };
  }
  if (limit === undefined) return { stallMs: DEFAULT_STALL_MS };
  const stallMs = Math.min(DEFAULT_STALL_MS, Math.floor(limit / 2));
  return { stallMs, note: `stalls last ${stallMs} ms on the wall clock, shorter than ${named}, so a stall run fails on what the app does, not on the runner's timeout (--stall-ms to change)` };
}
