import { spawn } from 'node:child_process';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../../dist/cli/bin.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd: string, onStdout?: (text: string, kill: (sig: NodeJS.Signals) => void) => void): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      onStdout?.(stdout, (sig) => child.kill(sig));
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('traceforge demo', () => {
  it('records, lists, views and replays byte-identically in a fresh directory', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-demo-'));
    const r = await cli(['demo'], cwd);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/stream, \d+ chunks, TTFB/);
    expect(r.stdout).toContain('traceforge trace list');
    expect(r.stdout).toContain('Complete response');
    expect(r.stdout).toContain('byte-identical');
    expect(r.stdout).toMatch(/traceforge trace view [0-9a-f]{12}/);
    expect((await readdir(join(cwd, '.ai-tests', 'traces'))).filter((f) => f.endsWith('.json') && !f.startsWith('.'))).toHaveLength(2);
  }, 60_000);
});

describe('traceforge replay', () => {
  it('serves a cassette until SIGINT, then exits 0', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-replay-'));
    const demo = await cli(['demo', '--speed', '0'], cwd);
    expect(demo.code).toBe(0);
    let body = '';
    const r = await cli(['replay', '.ai-tests/demo.yaml', '--port', '0', '--speed', '0'], cwd, (out, kill) => {
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (!m || body) return;
      body = 'pending';
      void fetch(`${m[1]}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }] }),
      })
        .then((res) => res.text())
        .then((t) => {
          body = t;
          kill('SIGINT');
        });
    });
    expect(JSON.parse(body).choices[0].message.content).toBe('Hello from the simulated upstream.');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('served 1, missed 0');
  }, 60_000);

  it('a malformed cassette gets one line with file and line, exit 1, no stack', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-bad-'));
    await writeFile(join(cwd, 'bad.yaml'), 'version: 1\ninteractions:\n  - id: x\n    nope: [\n');
    const r = await cli(['replay', 'bad.yaml'], cwd);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^traceforge: bad\.yaml:\d+: invalid YAML/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing cassette says how to record it; bad flags are usage errors (exit 2)', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-miss-'));
    const missing = await cli(['replay', 'nope.yaml'], cwd);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('traceforge record --cassette nope.yaml');
    const bad = await cli(['replay', 'nope.yaml', '--speed', 'fast'], cwd);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--speed must be a number >= 0, got "fast"');
  });
});
