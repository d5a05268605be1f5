/** `trace view --json` and `trace diff --json`: what the text views show, as data a script can read. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { runMain } from '../helpers/run-main.js';
import { projectWith } from './trace-cli-helpers.js';

let project: Awaited<ReturnType<typeof projectWith>>;
beforeAll(async () => {
  project = await projectWith([
    makeOpenAIStreamTrace({ id: 'aaaa11112222', text: 'The capital is Paris.', gaps: [0, 10, 20, 30, 40, 50, 60, 70], firstChunkLatencyMs: 120 }),
    makeOpenAIStreamTrace({ id: 'bbbb33334444', text: 'The capital is Lyon.', firstChunkLatencyMs: 300, timestamp: '2026-02-01T00:00:00.000Z' }),
    // C1 controls (U+009B is CSI on some terminals) in what the model said and in the model's name.
    makeOpenAIStreamTrace({ id: 'cccc55556666', text: `Hi \u009b2J there \u0085 \u0090`, model: 'gpt\u009b31m', timestamp: '2026-03-01T00:00:00.000Z' }),
  ]);
});
afterAll(() => project.cleanup());
const cli = (...args: string[]) => runMain(args, { cwd: project.cwd });

describe('--json', () => {
  it('trace view prints the metadata, timing figures and response summary', async () => {
    const r = await cli('trace', 'view', 'aaaa', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const v = JSON.parse(r.stdout);
    expect(v).toMatchObject({ id: 'aaaa11112222', endpoint: '/v1/chat/completions', status: 200, first_chunk_latency_ms: 120, summary: { text: 'The capital is Paris.' } });
    expect(v.metadata.provider).toBe('openai');
    expect(v.metrics.totalChunks).toBeGreaterThan(3);
  });

  it('trace diff prints both sides of every row', async () => {
    const r = await cli('trace', 'diff', 'aaaa', 'bbbb', '--json');
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.ids).toEqual(['aaaa11112222', 'bbbb33334444']);
    const ttfb = d.timing.rows.find((row: { label: string }) => row.label === 'TTFB');
    expect([ttfb.a, ttfb.b]).toEqual([120, 300]);
    expect(JSON.stringify(d.response)).toMatch(/Paris/);
    expect(JSON.stringify(d.response)).toMatch(/Lyon/);
  });

  // JSON.stringify leaves U+0080-U+009F raw; a terminal that takes U+009B as CSI would act on it.
  for (const args of [['trace', 'view', 'cccc', '--json'], ['trace', 'diff', 'aaaa', 'cccc', '--json'], ['trace', 'list', '--json']]) {
    it(`${args.slice(0, 2).join(' ')} --json escapes C1 control characters and still parses to the same text`, async () => {
      const r = await cli(...args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(/[\u0080-\u009f]/);
      expect(r.stdout).toContain('\\u009b');
      expect(JSON.stringify(JSON.parse(r.stdout))).toMatch(/gpt\u009b31m/);
    });
  }
});
