import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { runMain } from '../helpers/run-main.js';
import { projectWith } from './trace-cli-helpers.js';

let project: Awaited<ReturnType<typeof projectWith>>;
beforeAll(async () => {
  project = await projectWith([
    makeOpenAIStreamTrace({ id: 'run1aaaa', text: 'The answer is 42.', params: { temperature: 0.2 } }),
    makeOpenAIStreamTrace({
      id: 'run2bbbb',
      timestamp: '2026-11-24T16:00:00.000Z',
      text: 'The answer is 43.',
      params: { temperature: 0.9 },
      seed: 5,
      firstChunkLatencyMs: 800,
      toolCalls: [{ id: 'c1', name: 'calc', arguments: '{"x":43}' }],
    }),
  ]);
});
afterAll(() => project.cleanup());

describe('traceforge trace diff', () => {
  it('prints request, response and timing side by side when piped', async () => {
    const r = await runMain(['trace', 'diff', 'run1', 'run2'], { cwd: project.cwd });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = r.stdout;
    expect(out).not.toContain('\x1b[');
    expect(out).toMatch(/^A {2}run1aaaa .*│ B {2}run2bbbb/m);
    for (const h of ['── Request', '── Response', '── Timing', 'Gap distribution']) expect(out).toContain(h);
    expect(out).toMatch(/^temperature\s+0\.2\s+│ 0\.9$/m);
    expect(out).toMatch(/^The answer is \[-42\.-\]\s+│ The answer is \{\+43\.\+\}$/m);
    expect(out).toMatch(/│ \+\s+"name": "calc",$/m);
    expect(out).toMatch(/^finish reason\s+stop\s+│ tool_calls$/m);
    expect(out).toMatch(/^TTFB\s+312\.5 ms\s+800\.0 ms\s+\+487\.5 ms\s+2\.56x$/m);
    expect(out).toMatch(/^Chunks\s+\d+\s+\d+\s+\+\d+\s/m);
  });

  it('fails with one line for a bad id', async () => {
    const r = await runMain(['trace', 'diff', 'run1', '../run2'], { cwd: project.cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^traceforge: "\.\.\/run2" is not a trace id: .*\n$/);
  });

  it('needs two ids', async () => {
    const r = await runMain(['trace', 'diff', 'run1'], { cwd: project.cwd });
    expect(r.code).toBe(2);
  });
});
