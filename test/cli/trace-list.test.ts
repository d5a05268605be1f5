import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAnthropicStreamTrace, makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { runMain } from '../helpers/run-main.js';
import { projectWith } from './trace-cli-helpers.js';

let project: Awaited<ReturnType<typeof projectWith>>;
beforeAll(async () => {
  // The table shows local time; the rows below are written in UTC.
  process.env.TZ = 'UTC';
  project = await projectWith([
    makeOpenAIStreamTrace({ id: 'aaaa1111bbbb', timestamp: '2026-05-01T10:00:00.000Z' }),
    makeAnthropicStreamTrace({ id: 'cccc2222dddd', timestamp: '2026-05-02T10:00:00.000Z', status: 529 }),
    makeNonStreamTrace({ id: 'eeee3333ffff', timestamp: '2026-05-03T10:00:00.000Z', model: 'gpt-4.1' }),
  ]);
});
afterAll(() => project.cleanup());

const ESC = '\x1b[';

describe('traceforge trace list', () => {
  it('prints a plain table, newest first, when piped', async () => {
    const r = await runMain(['trace', 'list'], { cwd: project.cwd });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain(ESC);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+TIME\s+ENDPOINT\s+MODEL\s+TYPE\s+STATUS\s+CHUNKS\s+DURATION\s+TTFB\s+PROMPT$/);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^eeee3333\s+2026-05-03 10:00:00\s+\/v1\/chat\/completions\s+gpt-4\.1\s+Normal\s+200\s+—\s+643\.0 ms\s+640\.3 ms\s+Say hello and explain streaming in one …$/);
    expect(lines[2]).toMatch(/^cccc2222\s+2026-05-02 10:00:00\s+\/v1\/messages\s+claude-sonnet-4-5\s+Stream\s+529\s+\d+\s+[\d.]+ ms\s+312\.5 ms\s+\S.*$/);
    expect(lines[3]).toMatch(/^aaaa1111\s.*\sStream\s+200\s/);
  });

  it('colours Stream in magenta with FORCE_COLOR, and NO_COLOR wins over it', async () => {
    const colour = await runMain(['trace', 'list'], { cwd: project.cwd, env: { FORCE_COLOR: '1' } });
    expect(colour.stdout).toContain(`${ESC}35mStream${ESC}39m`);
    const none = await runMain(['trace', 'list'], { cwd: project.cwd, env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(none.stdout).not.toContain(ESC);
    // CI=true makes picocolors colour pipes; we must not.
    const ci = await runMain(['trace', 'list'], { cwd: project.cwd, env: { CI: 'true' } });
    expect(ci.stdout).not.toContain(ESC);
  });

  it('--json prints one array with the table fields, every match unless --limit', async () => {
    const r = await runMain(['trace', 'list', '--json'], { cwd: project.cwd });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((x) => x.id)).toEqual(['eeee3333ffff', 'cccc2222dddd', 'aaaa1111bbbb']);
    expect(rows[1]).toMatchObject({
      short_id: 'cccc2222',
      time: '2026-05-02T10:00:00.000Z',
      endpoint: '/v1/messages',
      model: 'claude-sonnet-4-5',
      type: 'stream',
      status: 529,
      ttfb_ms: 312.5,
    });
    expect(rows[1]!.chunks).toBeGreaterThan(0);
    expect(rows[0]).toMatchObject({ type: 'normal', chunks: null });
    // The last user message, not the table's cut of it.
    expect(rows[0]!.prompt).toBe('Say hello and explain streaming in one sentence.');
    expect(typeof rows[0]!.duration_ms).toBe('number');
    const limited = JSON.parse((await runMain(['trace', 'list', '--json', '--limit', '1'], { cwd: project.cwd })).stdout);
    expect(limited).toHaveLength(1);
  });

  it('filters by --stream, --normal and --model', async () => {
    const ids = async (...flags: string[]) => (JSON.parse((await runMain(['trace', 'list', '--json', ...flags], { cwd: project.cwd })).stdout) as Array<{ id: string }>).map((x) => x.id);
    expect(await ids('--stream')).toEqual(['cccc2222dddd', 'aaaa1111bbbb']);
    expect(await ids('--normal')).toEqual(['eeee3333ffff']);
    expect(await ids('--model', 'gpt-4o-mini')).toEqual(['aaaa1111bbbb']);
    expect(await ids('--stream', '--limit', '1')).toEqual(['cccc2222dddd']);
  });

  it('rejects contradictory or bad flags with a usage error', async () => {
    const both = await runMain(['trace', 'list', '--stream', '--normal'], { cwd: project.cwd });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--stream and --normal exclude each other');
    const limit = await runMain(['trace', 'list', '--limit', '0'], { cwd: project.cwd });
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain('--limit must be a whole number >= 1, got "0"');
  });

  it('says how to get traces when there are none', async () => {
    const empty = await projectWith([]);
    try {
      const r = await runMain(['trace', 'list'], { cwd: empty.cwd });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('No traces in .ai-tests/traces');
      expect(JSON.parse((await runMain(['trace', 'list', '--json'], { cwd: empty.cwd })).stdout)).toEqual([]);
    } finally {
      await empty.cleanup();
    }
  });
});
