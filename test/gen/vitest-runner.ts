/**
 * Run vitest as a user would, in a child process: generated tests must pass (or fail) on their own,
 * not inside this suite's workers.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');

export interface RunResult {
  code: number | null;
  /** stdout and stderr together, colour-free. */
  output: string;
  stdout: string;
}

/** A clean environment: no colour, and nothing from the parent vitest or a record mode leaking in. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(VITEST|TRACEFORGE_|FORCE_COLOR|NODE_OPTIONS)/.test(k)) env[k] = v;
  return { ...env, NO_COLOR: '1', ...extra };
}

export function run(command: string, args: string[], cwd: string, extra: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((ok, fail) => {
    const child = spawn(command, args, { cwd, env: childEnv(extra), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (d) => {
      output += d;
      stdout += d;
    });
    child.stderr.on('data', (d) => (output += d));
    child.on('error', fail);
    child.on('close', (code) => ok({ code, output, stdout }));
  });
}

/** `vitest run [files]` with this repo's vitest, in `cwd` (which holds its own config). */
export function runVitest(cwd: string, files: string[] = []): Promise<RunResult> {
  return run(process.execPath, [resolve(REPO, 'node_modules/vitest/vitest.mjs'), 'run', ...files], cwd);
}
