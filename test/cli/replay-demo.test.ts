/** `traceforge demo` and `traceforge replay`, in-process: interrupt() is the Ctrl-C that stops the replay server. */
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runMain, startMain, type MainResult } from '../helpers/run-main.js';

describe('traceforge demo, then replay of the cassette it wrote', () => {
  // One demo run (it waits for the simulated upstream's pacing) gives both tests their directory.
  let cwd: string;
  let demo: MainResult;
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'tf-demo-'));
    demo = await runMain(['demo'], { cwd });
  });

  it('demo records, lists, views and replays byte-identically in a fresh directory', async () => {
    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/stream, \d+ chunks, TTFB/);
    expect(demo.stdout).toContain('traceforge trace list');
    expect(demo.stdout).toContain('Complete response');
    expect(demo.stdout).toContain('byte-identical');
    expect(demo.stdout).toMatch(/npx traceforge trace view [0-9a-f]{12}/);
    expect((await readdir(join(cwd, '.ai-tests', 'traces'))).filter((f) => f.endsWith('.json') && !f.startsWith('.'))).toHaveLength(2);
  });

  it('replay serves the cassette until interrupted, then returns 0', async () => {
    const run = startMain(['replay', '.ai-tests/demo.yaml', '--port', '0', '--speed', '0'], { cwd });
    const url = (await run.waitFor(/on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }] }),
    });
    expect(((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe('Hello from the simulated upstream.');
    run.interrupt();
    const r = await run.exited;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('served 1, missed 0');
  });
});

describe('traceforge replay', () => {
  it('a malformed cassette gets one line with file and line, exit 1, no stack', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-bad-'));
    await writeFile(join(cwd, 'bad.yaml'), 'version: 1\ninteractions:\n  - id: x\n    nope: [\n');
    const r = await runMain(['replay', 'bad.yaml'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^traceforge: bad\.yaml:\d+: invalid YAML/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing cassette says how to record it; bad flags are usage errors (exit 2)', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-miss-'));
    const missing = await runMain(['replay', 'nope.yaml'], { cwd });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('traceforge record --cassette nope.yaml');
    const bad = await runMain(['replay', 'nope.yaml', '--speed', 'fast'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--speed must be a number >= 0, got "fast"');
  });
});
