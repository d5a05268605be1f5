/**
 * What the CLI says to a misspelt command or a command group given alone: sade's boxed "Invalid command"
 * named neither the fix nor the subcommands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from '../helpers/run-main.js';
import { projectWith } from './trace-cli-helpers.js';

let project: Awaited<ReturnType<typeof projectWith>>;
beforeAll(async () => {
  project = await projectWith([]);
});
afterAll(() => project.cleanup());
const cli = (...args: string[]) => runMain(args, { cwd: project.cwd });

describe('commands the CLI does not know', () => {
  it('a misspelt command gets the closest one and exit 2', async () => {
    const r = await cli('recrod', '--upstream', 'http://x');
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('traceforge: unknown command "recrod"; did you mean "record"?');
    expect(r.stderr).not.toMatch(/Invalid command|at .*\.js/);
  });

  it('a word that is no command gets no guess', async () => {
    const r = await cli('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('traceforge: unknown command "frobnicate".\nRun `traceforge --help` for usage.\n');
  });

  it('`trace --help` lists the trace subcommands', async () => {
    const r = await cli('trace', '--help');
    expect(r.code).toBe(0);
    for (const sub of ['list', 'view', 'diff']) expect(r.stdout).toMatch(new RegExp(`^  trace ${sub}`, 'm'));
  });

  it('`trace` alone says it needs a subcommand', async () => {
    const r = await cli('trace');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/`traceforge trace` needs a subcommand: list, view, diff/);
  });

  it('a misspelt subcommand gets the closest one', async () => {
    const r = await cli('trace', 'lsit');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command "trace lsit"; did you mean "trace list"\?/);
    // `trace --help` lists the subcommands.
    expect(r.stderr.split('\n')[1]).toBe('Run `traceforge trace --help` for usage.');
  });

  it('known commands still parse, with their options and values that look like words', async () => {
    const r = await cli('trace', 'list', '--json', '--model', 'recrod');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });
});

describe('`--` with nothing after it', () => {
  it('is a usage error, not a silent start in server mode', async () => {
    const r = await cli('record', '--upstream', 'http://127.0.0.1:9', '--port', '0', '--');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^traceforge: nothing after `--`: give the command to run/);
    expect(r.stderr.split('\n')[1]).toBe('Run `traceforge record --help` for usage.');
  });
});

describe('usage errors inside a command', () => {
  it('point at that command\'s help, where its options are listed', async () => {
    const r = await cli('trace', 'list', '--bogus');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('traceforge: unknown option --bogus for `traceforge trace list`\nRun `traceforge trace list --help` for usage.\n');
  });

  it('a misspelt option gets the closest one of that command', async () => {
    const r = await cli('record', '--upstrem', 'http://127.0.0.1:9');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('traceforge: unknown option --upstrem for `traceforge record`; did you mean --upstream?\nRun `traceforge record --help` for usage.\n');
    expect((await cli('trace', 'list', '--jsn')).stderr).toMatch(/did you mean --json\?/);
  });
});
