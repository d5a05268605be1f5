import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTraceStore } from '../../src/store/trace-store.js';
import type { Trace } from '../../src/trace/types.js';

/** The built bin; test/global-setup.ts builds it when src/ is newer. */
export const BIN = resolve(import.meta.dirname, '../../dist/cli/bin.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Spawn the built `traceforge <args>` in `cwd` with piped stdio and a colour-neutral environment plus `env`.
 * test/cli tests behaviour in-process with runMain (test/helpers/run-main.ts) and spawns only in bin.test.ts.
 */
export function runCli(cwd: string, args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const base: NodeJS.ProcessEnv = { ...process.env, TZ: 'UTC' };
  delete base.NO_COLOR;
  delete base.FORCE_COLOR;
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => ok({ code, stdout, stderr }));
  });
}

/** A temporary project directory whose `.ai-tests/traces` holds `traces`. */
export async function projectWith(traces: Trace[]): Promise<{ cwd: string; cleanup(): Promise<void> }> {
  const cwd = await mkdtemp(join(tmpdir(), 'tf-cli-'));
  const store = createTraceStore(join(cwd, '.ai-tests', 'traces'));
  for (const t of traces) await store.save(t);
  return { cwd, cleanup: () => rm(cwd, { recursive: true, force: true }) };
}
