import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, projectWith } from '../cli/trace-cli-helpers.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { colourCodes } from './fake-terminal.js';

/**
 * Smoke test in a real pseudo-terminal: the built CLI, a real tty, real key presses. util-linux `script`
 * is preferred (it ships with most Linux systems); tmux is the fallback.
 */
const hasScript = /util-linux/.test(spawnSync('script', ['--version'], { encoding: 'utf8' }).stdout ?? '');
const hasTmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;
const why = 'neither util-linux `script` nor `tmux` is installed, so no pseudo-terminal is available';

let project: Awaited<ReturnType<typeof projectWith>>;
beforeAll(async () => {
  project = await projectWith([makeOpenAIStreamTrace({ id: 'ptysmoke01', text: 'Replayed in a real terminal.' })]);
});
afterAll(() => project?.cleanup());

/** Terminal output as text: cursor-forward moves (blessed's way of writing runs of spaces) become spaces, other escapes go. */
function plain(out: string): string {
  return out.replace(/\x1b\[(\d*)C/g, (_m, n: string) => ' '.repeat(Number(n || 1))).replace(/\x1b(\[[0-9;?]*[A-Za-z]|[()][0-9A-Za-z]|[78=>])/g, '');
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!hasScript && !hasTmux)(`trace view in a pseudo-terminal${hasScript || hasTmux ? '' : ` (skipped: ${why})`}`, () => {
  it.runIf(hasScript)('script: waits for the screen, r replays, q exits 0 and restores the terminal', async () => {
    const cmd = `stty cols 120 rows 40; exec "${process.execPath}" "${BIN}" trace view ptysmoke01`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: project.cwd, env: { ...process.env, TERM: 'xterm-256color' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    await until(() => plain(out).includes('Chunk timeline') && plain(out).includes('press r to replay'), 'the first screen');
    child.stdin.write('r');
    await until(() => plain(out).includes('playing'), 'the replay to start');
    await until(() => plain(out).includes('done'), 'the replay to finish');
    child.stdin.write('q');
    expect(await exited).toBe(0);
    const tail = out.slice(out.lastIndexOf('done'));
    expect(tail).toContain('\x1b[?1049l'); // left the alternate screen
    expect(tail).toContain('\x1b[?25h'); // cursor shown again
  });

  it.runIf(hasScript).each([
    ['TERM=tmux-256color', { TERM: 'tmux-256color' }],
    ['TERM=tmux-256color NO_COLOR=1', { TERM: 'tmux-256color', NO_COLOR: '1' }],
  ])('script, %s at 80x24: the key bar whole, grey never black, no colour under NO_COLOR', async (_name, env) => {
    const cmd = `stty cols 80 rows 24; exec "${process.execPath}" "${BIN}" trace view ptysmoke01`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: project.cwd, env: { ...process.env, NO_COLOR: '', ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    await until(() => plain(out).includes('press r to replay') && plain(out).includes('q quit'), 'the first screen');
    child.stdin.write('q');
    expect(await exited).toBe(0);
    const codes = colourCodes(out);
    if ('NO_COLOR' in env) expect(codes).toEqual([]);
    else {
      expect(codes).not.toContain('fg 30');
      expect(codes).toContain('fg 90');
    }
  });

  it.runIf(!hasScript && hasTmux)('tmux: waits for the screen, r replays, q exits 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tf-tmux-'));
    const session = `tf${process.pid}`;
    const status = join(dir, 'status');
    const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' });
    try {
      const cmd = `cd "${project.cwd}" && "${process.execPath}" "${BIN}" trace view ptysmoke01; echo $? > "${status}"`;
      tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', cmd);
      const screen = () => tmux('capture-pane', '-p', '-t', session).stdout ?? '';
      await until(() => screen().includes('Chunk timeline'), 'the first screen');
      tmux('send-keys', '-t', session, 'r');
      await until(() => screen().includes('done'), 'the replay to finish');
      tmux('send-keys', '-t', session, 'q');
      await until(() => readFile(status, 'utf8').then(() => true, () => false), 'the exit status');
      expect((await readFile(status, 'utf8')).trim()).toBe('0');
    } finally {
      tmux('kill-session', '-t', session);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
