import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, startCli } from './cli-process.js';

describe('traceforge record checks its traces directory before listening', () => {
  it('a --traces path that cannot hold files: one line naming the flag, exit 1, never listening', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-traces-dir-'));
    await writeFile(join(cwd, 'not-a-dir'), 'x');
    const run = startCli(cwd, ['record', '--upstream', 'http://127.0.0.1:9', '--port', '0', '--traces', 'not-a-dir/traces']);
    const { code } = await run.exited;
    expect(code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/not-a-dir\/traces has a file where a directory should be in its path: pass --traces DIR with a writable directory/);
    expect(run.stdout).not.toContain('TraceForge recording');
  });
});
