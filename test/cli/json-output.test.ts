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
});
