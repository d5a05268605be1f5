import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fmtMs } from '../../src/tui/format.js';
import { runCli } from '../cli/trace-cli-helpers.js';
import { BIG_ID, useBigTraceProject } from './big-trace-fixture.js';

/** The built bin reads the big trace as a window once its file is over this (it is several MB). */
const SMALL_LIMIT = { TRACEFORGE_WINDOW_BYTES: String(1024 * 1024) };

const p = useBigTraceProject();

const line = (out: string, label: string) => out.split('\n').find((l) => l.startsWith(label)) ?? `(no ${label} line)`;

describe('a trace over the whole-load limit, through the built CLI', () => {
  it('trace view --text shows the totals of every chunk and says it shows 2,050 of 50,000 chunks and why', async () => {
    expect(p.size).toBeGreaterThan(1024 * 1024);
    const r = await runCli(p.cwd, ['trace', 'view', BIG_ID, '--text'], SMALL_LIMIT);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^Note: showing 2,050 of 50,000 chunks \(the first 2,000 and the last 50\): the trace file is [\d.]+ MB, over the 1\.0 MB read whole \(TRACEFORGE_WINDOW_BYTES\); totals and timing cover every chunk$/m);
    expect(line(out, 'Total Chunks')).toMatch(/\s50000$/);
    expect(line(out, 'Stream Duration')).toContain(fmtMs(p.expect.streamMs));
    expect(line(out, 'First Chunk Latency')).toContain('250.0 ms');
    expect(line(out, 'Gap p50 / p95')).toContain(`${fmtMs(p.expect.p50)} / ${fmtMs(p.expect.p95)}`);
    expect(line(out, 'Longest Stall')).toContain(`${fmtMs(p.expect.stall.ms)} (chunk ${p.expect.stall.index})`);
    expect(line(out, 'Body')).toContain(`(${p.expect.bodyBytes.toLocaleString('en-US')} bytes)`);
    expect(out).toContain('── Chunk timeline (2,050 of 50,000 chunks)');
    // The first 2,000 rows, a marker, then the last 50 under their real indexes.
    expect(out).toMatch(/^\s+1999\s.*" w1999"$/m);
    expect(out).not.toMatch(/^\s*2000\s/m);
    expect(out).toMatch(/… 47,950 chunks not loaded \(2000-49949\)/);
    expect(out).toMatch(/^\s*49950\s.*" w49950"$/m);
    expect(out).toMatch(/^\s*49999\s.*" w49999"$/m);
    expect(out).toContain('(not reconstructed: the body was');
  }, 30_000);

  it('below the limit the same trace loads whole, with the same figures and no note', async () => {
    const r = await runCli(p.cwd, ['trace', 'view', BIG_ID, '--text']);
    expect(r.code).toBe(0);
    const windowed = await runCli(p.cwd, ['trace', 'view', BIG_ID, '--text'], SMALL_LIMIT);
    expect(r.stdout).not.toContain('Note: showing');
    expect(r.stdout).toMatch(/^\s*25000\s.*" w25000"$/m);
    for (const label of ['Total Chunks', 'Stream Duration', 'First Chunk Latency', 'Average Chunk Time', 'Gap p50 / p95', 'Longest Stall']) {
      expect(line(windowed.stdout, label)).toBe(line(r.stdout, label));
    }
  }, 30_000);

  it('trace diff compares the big trace by its streamed totals and says so', async () => {
    const r = await runCli(p.cwd, ['trace', 'diff', 'sma11sma11aa', BIG_ID], SMALL_LIMIT);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^B is a [\d.]+ MB trace, over the 1\.0 MB read whole: its timing is computed over all 50,000 chunks as they stream past; its response was not rebuilt by the recorder, so its text is not compared$/m);
    expect(r.stdout).not.toMatch(/^A is a/m);
    expect(r.stdout).toMatch(/^Chunks\s+\d+\s+50000\s/m);
    expect(r.stdout).toMatch(new RegExp(`^p95 gap\\s+\\S+ ms\\s+${fmtMs(p.expect.p95).replace('.', '\\.')}`, 'm'));
    const both = await runCli(p.cwd, ['trace', 'diff', BIG_ID, BIG_ID], SMALL_LIMIT);
    expect(both.code).toBe(0);
    expect(both.stdout).toMatch(/^A is a .*\nB is a /m);
  }, 30_000);

  it('gen refuses the big trace in one line, exits 1 and writes nothing, windowed or not', async () => {
    for (const env of [SMALL_LIMIT, {}]) {
      const r = await runCli(p.cwd, ['gen', BIG_ID], env);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      const msg = r.stderr.trimEnd();
      expect(msg.split('\n')).toHaveLength(1);
      expect(msg).toContain(`trace ${BIG_ID} has a ${p.expect.bodyBytes}-byte body in 50000 chunks, over the cassette limit`);
      expect(msg).toContain('nothing was written');
      expect(existsSync(join(p.cwd, 'fixtures'))).toBe(false);
      expect(existsSync(join(p.cwd, 'test'))).toBe(false);
    }
  }, 30_000);
});
