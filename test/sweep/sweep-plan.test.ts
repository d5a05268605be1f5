/**
 * `sweep --budget 1000` on a long stream planned thousands of runs without a word, and `--jobs` had no cap:
 * over SWEEP_CONFIRM_RUNS runs, or more jobs than cores, the sweep is refused before anything runs unless
 * --yes is given.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCassette } from '../../src/cassette/codec.js';
import { writeCassette } from '../../src/store/cassette-file.js';
import { checkSweepPlan, loadSweepTarget, SWEEP_CONFIRM_RUNS } from '../../src/sweep.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { runMain } from '../helpers/run-main.js';

let dir: string;
const long = () => join(dir, 'long.yaml');
// The command marks that it ran, then fails: a sweep that starts stops after its clean run.
const COMMAND = ['--', process.execPath, '-e', "require('fs').writeFileSync('ran', ''); process.exit(1)"];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tf-sweep-plan-'));
  const text = Array.from({ length: 150 }, (_, i) => `word${i}`).join(' ');
  await writeCassette(long(), { ...emptyCassette(), interactions: [makeOpenAIStreamTrace({ id: 'aa11long0000', text })] });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('sweep plans that need --yes', () => {
  it('a plan over the threshold is refused in one line with its size and the flag, and nothing runs', async () => {
    const planned = loadSweepTarget(long(), { budget: 1000 }).faults.length + 1;
    expect(planned).toBeGreaterThan(SWEEP_CONFIRM_RUNS);
    const r = await runMain(['sweep', 'long.yaml', '--budget', '1000', ...COMMAND], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      `traceforge: this sweep plans ${planned.toLocaleString('en-US')} runs of the command (${(planned - 1).toLocaleString('en-US')} faults and the clean run), over the ${SWEEP_CONFIRM_RUNS} that run without asking: pass --yes (yes: true) to run them all, or fewer with a smaller --budget or --kinds`,
    );
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });

  it('--jobs above the core count is refused, naming both', async () => {
    const jobs = availableParallelism() + 1;
    const r = await runMain(['sweep', 'long.yaml', '--budget', '1', '--jobs', String(jobs), ...COMMAND], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^traceforge: --jobs ${jobs} is more than this machine's ${availableParallelism()} core\\(s\\).*pass --yes`));
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });

  it('with --yes the sweep starts (here its clean run fails, which ends it)', async () => {
    const r = await runMain(['sweep', 'long.yaml', '--budget', '1000', '--jobs', String(availableParallelism() + 1), '--yes', ...COMMAND], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the command fails without any fault/);
    expect(existsSync(join(dir, 'ran'))).toBe(true);
  });

  it('the check itself: at the threshold and at the core count it passes', () => {
    expect(() => checkSweepPlan(SWEEP_CONFIRM_RUNS, 4, false, 4)).not.toThrow();
    expect(() => checkSweepPlan(SWEEP_CONFIRM_RUNS + 1, 4, false, 4)).toThrow(/pass --yes/);
    expect(() => checkSweepPlan(10, 5, false, 4)).toThrow(/--jobs 5 is more than this machine's 4 core/);
    expect(() => checkSweepPlan(10_000, 64, true, 4)).not.toThrow();
  });
});
