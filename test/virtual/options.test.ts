/** How the clock is chosen, and what a wrong choice says. */
import { describe, expect, it } from 'vitest';
import { openCassette, resolveClock } from '../../src/session.js';
import { chatTrace, tempCassette } from './helpers.js';

describe('choosing the clock', () => {
  it('the option wins over TRACEFORGE_CLOCK, which wins over the wall-clock default', () => {
    expect(resolveClock(undefined, {})).toBe('wall');
    expect(resolveClock(undefined, { TRACEFORGE_CLOCK: 'virtual' })).toBe('virtual');
    expect(resolveClock('wall', { TRACEFORGE_CLOCK: 'virtual' })).toBe('wall');
    expect(resolveClock('virtual', {})).toBe('virtual');
  });

  it('a misspelt clock is a usage error naming where it came from and both choices', () => {
    expect(() => resolveClock(undefined, { TRACEFORGE_CLOCK: 'virtaul' })).toThrow(/^TRACEFORGE_CLOCK is "virtaul": use 'virtual' .* or 'wall'/);
    expect(() => resolveClock('fake' as 'wall', {})).toThrow(/^clock option is "fake"/);
  });

  it("clock: 'virtual' with intercept: false fails at open with what to do", async () => {
    const path = await tempCassette([chatTrace('hi', ['a'], [0, 1, 1, 1, 1], 5)]);
    await expect(openCassette(path, { mode: 'none', clock: 'virtual', intercept: false })).rejects.toThrow(/clock 'virtual' answers the process's calls in-process, through the interception, but intercept is off .*use clock: 'wall'/);
  });

  it('TRACEFORGE_CLOCK=virtual leaves a cassette without interception on the wall clock, and says so', async () => {
    const path = await tempCassette([chatTrace('hi', ['a'], [0, 1, 1, 1, 1], 5)]);
    const notes: string[] = [];
    const session = await openCassette(path, { mode: 'none', env: { TRACEFORGE_CLOCK: 'virtual' }, onNote: (l) => notes.push(l) });
    try {
      expect(session.clock).toBe('wall');
      expect(notes).toEqual([expect.stringMatching(/TRACEFORGE_CLOCK=virtual does not apply to cassette .*intercept: false.*replays on the wall clock/)]);
    } finally {
      await session.close();
    }
  });
});
