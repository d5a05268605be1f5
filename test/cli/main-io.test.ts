/**
 * main() is callable in-process: it writes only through the io it is given, returns the exit code, and
 * never exits the process (sade's own usage errors and help used to do both).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runMain } from '../helpers/run-main.js';
import { projectWith } from './trace-cli-helpers.js';

const SRC_CLI = join(import.meta.dirname, '..', '..', 'src', 'cli');

let project: Awaited<ReturnType<typeof projectWith>>;
beforeAll(async () => {
  project = await projectWith([]);
});
afterAll(() => project.cleanup());
const cli = (...args: string[]) => runMain(args, { cwd: project.cwd });

describe('main() in-process', () => {
  it('writes nothing to the process streams and never calls process.exit, whatever it is given', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
      throw new Error(`process.exit(${code}) called`);
    }) as typeof process.exit);
    const writes = [vi.spyOn(process.stdout, 'write'), vi.spyOn(process.stderr, 'write'), vi.spyOn(console, 'log'), vi.spyOn(console, 'error')];
    try {
      const runs = [
        ['--help'], ['--version'], ['trace', 'list', '--help'], ['trace', '--help'], [], ['recrod'], ['trace'], ['trace', '--json'],
        ['--json', 'trace', 'list'], ['replay'], ['replay', '-x', 'y'], ['trace', 'list', '--bogus'], ['trace', 'list', '-hv'], ['trace', 'diff', 'a'],
      ];
      const codes = [];
      for (const args of runs) codes.push((await cli(...args)).code);
      expect(codes).toEqual([0, 0, 0, 0, 2, 2, 2, 2, 0, 2, 2, 2, 0, 2]);
      for (const w of writes) expect(w).not.toHaveBeenCalled();
      expect(exit).not.toHaveBeenCalled();
    } finally {
      exit.mockRestore();
      for (const w of writes) w.mockRestore();
    }
  });

  it('--version prints the package version', async () => {
    const r = await cli('--version');
    expect(r.stdout).toMatch(/^traceforge, \d+\.\d+\.\d+/);
  });

  it('a command group followed by options names its subcommands', async () => {
    const r = await cli('trace', '--json');
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('traceforge: `traceforge trace` needs a subcommand before its options: list, view, diff, upgrade (e.g. `traceforge trace list --json`)');
  });

  it('no file under src/cli but bin.ts and io.ts touches process.exit, process.stdout, process.stderr or process signals', () => {
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
    const offenders = files(SRC_CLI)
      .filter((f) => f.endsWith('.ts') && !/[/\\](bin|io)\.ts$/.test(f))
      .flatMap((f) => readFileSync(f, 'utf8').split('\n').map((line, i) => ({ where: `${relative(SRC_CLI, f)}:${i + 1}`, line })))
      .filter(({ line }) => /process\.(exit|stdout|stderr|on|once)\b/.test(line) && !/^\s*(\*|\/\/)/.test(line));
    expect(offenders).toEqual([]);
  });
});
