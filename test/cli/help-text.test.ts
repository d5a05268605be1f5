/**
 * The help the CLI prints, byte for byte, for the top level and every command (the option table drives
 * it); and the parsing the same table drives: boolean flags never take the next word, a flag that needs
 * a value says so, a single-value flag given twice is refused.
 */
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from '../helpers/run-main.js';
import { projectWith } from './trace-cli-helpers.js';

let project: Awaited<ReturnType<typeof projectWith>>;
beforeAll(async () => {
  project = await projectWith([]);
});
afterAll(() => project.cleanup());
const cli = (...args: string[]) => runMain(args, { cwd: project.cwd });
const COMMANDS = ['record', 'replay', 'sweep', 'trace list', 'trace view', 'trace diff', 'trace upgrade', 'gen', 'demo'];

describe('help text', () => {
  it('top level', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    await expect(r.stdout).toMatchFileSnapshot('help/traceforge.txt');
  });
  for (const c of COMMANDS) {
    it(c, async () => {
      const r = await cli(...c.split(' '), '--help');
      expect(r.code).toBe(0);
      await expect(r.stdout).toMatchFileSnapshot(`help/${c.replace(' ', '-')}.txt`);
    });
  }
});

describe('parsing from the option table', () => {
  it('a boolean flag before a positional leaves the positional alone', async () => {
    const r = await cli('trace', 'view', '--json', 'nosuchid', '--traces', tmpdir());
    expect(r.stderr).toMatch(/nosuchid/);
    expect(r.stderr).not.toMatch(/unknown option|needs a value/);
  });

  it('a flag that needs a value and gets none is a usage error that names it', async () => {
    const r = await cli('trace', 'list', '--model');
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('traceforge: --model needs a value');
  });

  it('a single-value flag given twice is refused; a repeatable one is not', async () => {
    const twice = await cli('trace', 'list', '--model', 'a', '--model', 'b');
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/--model was given 2 times; give it once/);
    const faults = await cli('replay', 'nope.yaml', '--fault', 'drop-after=1', '--fault', 'stall=1:5');
    expect(faults.stderr).not.toMatch(/given 2 times/);
    expect(faults.stderr).toMatch(/nope\.yaml/);
  });
});

describe('what sade answered with a boxed ERROR', () => {
  it('no command at all', async () => {
    const r = await cli();
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('traceforge: no command given: record, replay, sweep, trace, gen, demo; run `traceforge --help` for what each does');
  });

  it('a missing argument is named, with the usage', async () => {
    const r = await cli('trace', 'diff', 'abc', '--traces', 'x');
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('traceforge: `traceforge trace diff` needs <b> (usage: traceforge trace diff <a> <b> [options])');
    expect(r.stderr).not.toMatch(/ERROR|Insufficient/);
  });
});
