/**
 * A FIFO (or socket, device, directory) named like a trace, a cassette or a template: reading it would
 * block until something writes to it, so `trace view`, `trace diff`, `gen` and `sweep` hung. Each is
 * refused by name in one line, before it is opened; `trace list` passes over it.
 * The built CLI runs in child processes: a read blocked on a FIFO would hang the test's own process.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendToCassette } from '../../src/store/cassette-file.js';
import { BIN, projectWith, type CliResult } from '../cli/trace-cli-helpers.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';

/** Long enough for a loaded machine to start node; a hang is killed then and shows as code null. */
const HANG_MS = 15_000;

function cli(cwd: string, ...args: string[]): Promise<CliResult & { ms: number }> {
  const start = Date.now();
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'], timeout: HANG_MS, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => ok({ code, stdout, stderr, ms: Date.now() - start }));
  });
}

let project: Awaited<ReturnType<typeof projectWith>>;
let fifoTrace: string;
beforeAll(async () => {
  project = await projectWith([makeOpenAIStreamTrace({ id: 'aa11good0000' })]);
  const traces = join(project.cwd, '.ai-tests', 'traces');
  fifoTrace = join(traces, '2026-04-01T00-00-00-000Z_dd44fifo0000.json');
  execFileSync('mkfifo', [fifoTrace]);
  await mkdir(join(project.cwd, 'in'));
  execFileSync('mkfifo', [join(project.cwd, 'in', 'fifo.yaml')]);
  await appendToCassette(join(project.cwd, 'in', 'good.yaml'), [makeOpenAIStreamTrace({ id: 'ee55cass0000' })]);
});
afterAll(() => project.cleanup());

describe('a FIFO named like a trace', () => {
  it('trace view, trace diff and gen refuse it by name, in one line, at once; so does sweep a FIFO cassette', async () => {
    const runs = await Promise.all([
      cli(project.cwd, 'trace', 'view', 'dd44', '--text'),
      cli(project.cwd, 'trace', 'view', 'dd44', '--json'),
      cli(project.cwd, 'trace', 'diff', 'aa11', 'dd44', '--text'),
      cli(project.cwd, 'gen', 'dd44'),
      cli(project.cwd, 'sweep', 'in/fifo.yaml', '--', process.execPath, '-e', '0'),
    ]);
    const sweep = runs.pop()!;
    expect(sweep.code, `${sweep.stderr} (after ${sweep.ms} ms)`).toBe(1);
    expect(sweep.stderr.trimEnd().split('\n')).toEqual(['traceforge: in/fifo.yaml is a FIFO (named pipe), not a regular file: pass the path of a .yaml cassette']);
    for (const r of runs) {
      expect(r.code, `${r.stderr} (after ${r.ms} ms)`).toBe(1);
      expect(r.stderr.trimEnd().split('\n')).toEqual([`traceforge: ${fifoTrace} is a FIFO (named pipe), not a regular file, so it is not read (it could block forever): remove or rename it; traces are regular .json files`]);
    }
  });

  it('trace list passes over it, and trace upgrade leaves it alone', async () => {
    const [list, one, dir] = await Promise.all([
      cli(project.cwd, 'trace', 'list'),
      cli(project.cwd, 'trace', 'upgrade', fifoTrace),
      cli(project.cwd, 'trace', 'upgrade', join(project.cwd, '.ai-tests', 'traces'), '--dry-run'),
    ]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('aa11good');
    expect(list.stdout).not.toContain('dd44');
    expect(one.code, one.stderr).toBe(1);
    expect(`${one.stdout}${one.stderr}`).toContain(`${fifoTrace}: a FIFO (named pipe), not a regular file; left alone`);
    expect(dir.code, dir.stderr).toBe(1);
    expect(`${dir.stdout}${dir.stderr}`).toContain('a FIFO (named pipe), not a regular file; left alone');
    expect(`${dir.stdout}${dir.stderr}`).toMatch(/already current 1/);
  });
});

describe('a FIFO named like a template', () => {
  it('gen refuses a FIFO among the project templates, naming it', async () => {
    const dir = join(project.cwd, '.ai-tests', 'templates');
    await mkdir(dir, { recursive: true });
    execFileSync('mkfifo', [join(dir, 'piped.test.ts.tpl')]);
    const r = await cli(project.cwd, 'gen', 'aa11');
    expect(r.code, `${r.stderr} (after ${r.ms} ms)`).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${join(dir, 'piped.test.ts.tpl')} is a FIFO (named pipe), not a regular file`);
  });
});
