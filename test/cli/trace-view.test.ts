import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { runMain } from '../helpers/run-main.js';
import { projectWith } from './trace-cli-helpers.js';

let project: Awaited<ReturnType<typeof projectWith>>;
beforeAll(async () => {
  project = await projectWith([
    makeOpenAIStreamTrace({ id: 'abc123stream', text: 'Paris is the capital.', usage: { input: 12, output: 5 } }),
    makeOpenAIStreamTrace({ id: 'abc999other', timestamp: '2026-01-01T00:00:00.000Z' }),
    makeNonStreamTrace({ id: 'zz9normal', text: 'A plain reply.' }),
  ]);
});
afterAll(() => project.cleanup());

describe('traceforge trace view --text', () => {
  it('prints every section with the same labels as the TUI', async () => {
    const r = await runMain(['trace', 'view', 'abc123', '--text'], { cwd: project.cwd });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = r.stdout;
    for (const h of ['── Summary', '── Streaming metadata', '── Chunk timeline', '── Complete response', '── Request']) expect(out).toContain(h);
    expect(out).toMatch(/^Trace abc123stream$/m);
    expect(out).toMatch(/^Endpoint\s+POST \/v1\/chat\/completions$/m);
    expect(out).toMatch(/^HTTP Status\s+200 OK$/m);
    expect(out).toMatch(/^Total Chunks\s+8$/m); // role, 4 tokens, finish, usage, [DONE]
    expect(out).toMatch(/^First Chunk Latency\s+312\.5 ms$/m);
    expect(out).toMatch(/^Average Chunk Time\s+[\d.]+ ms$/m);
    expect(out).toMatch(/^Gap p50 \/ p95\s+[\d.]+ ms \/ [\d.]+ ms$/m);
    expect(out).toMatch(/^Longest Stall\s+[\d.]+ ms \(chunk \d+\)$/m);
    expect(out).toMatch(/^Tokens\/sec\s+\d+\.\d$/m);
    expect(out).toMatch(/^\s+1\s+[\d.]+\s+[\d.]+\s+\S*\s+"Paris"$/m);
    expect(out).toMatch(/^Paris is the capital\.$/m);
    expect(out).toMatch(/^Usage\s+input 12 · output 5 · total 17$/m);
    expect(out).toMatch(/^\[user\] Say hello/m);
    expect(out).not.toContain('\x1b[');
  });

  it('prints text when piped even without --text', async () => {
    const r = await runMain(['trace', 'view', 'abc123stream'], { cwd: project.cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('── Chunk timeline');
  });

  it('shows a non-streamed call without the stream sections', async () => {
    const r = await runMain(['trace', 'view', 'zz9', '--text'], { cwd: project.cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('A plain reply.');
    expect(r.stdout).toMatch(/^Type\s+Normal$/m);
    expect(r.stdout).not.toContain('Streaming metadata');
    expect(r.stdout).not.toContain('Chunk timeline');
  });

  it('without an id, prints the list and how to open one', async () => {
    const r = await runMain(['trace', 'view'], { cwd: project.cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ID\s+TIME/);
    expect(r.stdout).toContain('Open one with `traceforge trace view <id>`.');
  });
});

describe('bad ids', () => {
  const oneLine = (stderr: string) => {
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  };

  it.each([['../../etc/passwd'], ['/etc/passwd'], ['..'], ['a/b'], ['.index']])('refuses the path-like id %s', async (id) => {
    const r = await runMain(['trace', 'view', id, '--text'], { cwd: project.cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('is not a trace id');
    oneLine(r.stderr);
  });

  it('reports an unknown id', async () => {
    const r = await runMain(['trace', 'view', 'nope', '--text'], { cwd: project.cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('traceforge: no trace matches "nope" in .ai-tests/traces: run `traceforge trace list` to see the recorded ids\n');
  });

  it('lists the candidates of an ambiguous prefix', async () => {
    const r = await runMain(['trace', 'view', 'abc', '--text'], { cwd: project.cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/"abc" matches 2 traces \((abc123stream, abc999other|abc999other, abc123stream)\): type more of the id/);
    oneLine(r.stderr);
  });
});
