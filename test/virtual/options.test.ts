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

describe('two virtual-clock sessions open at once (a setup file and a test file)', () => {
  it('share one clock and one loop: the inner one serves exactly, then the outer one', async () => {
    const { default: OpenAI } = await import('openai');
    const gaps = [0, 7.5, 250.25, 3, 1, 1];
    const outer = await openCassette(await tempCassette([chatTrace('hi', ['outer', 'x'], gaps, 11.1)]), { mode: 'none', intercept: true, clock: 'virtual' });
    const inner = await openCassette(await tempCassette([chatTrace('hi', ['inner', 'y'], gaps, 22.2)]), { mode: 'none', intercept: true, clock: 'virtual' });
    const openai = new OpenAI({ apiKey: 'sk-test', maxRetries: 0 });
    const timed = async () => {
      const t0 = performance.now();
      const at: number[] = [];
      let text = '';
      // An app timer racing the stream, on the same clock.
      let fired = -1;
      setTimeout(() => (fired = performance.now() - t0), 100);
      for await (const c of await openai.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] })) {
        at.push(performance.now() - t0);
        text += c.choices[0]?.delta?.content ?? '';
      }
      return { text, at, fired };
    };
    try {
      const a = await timed();
      expect(a.text).toBe('inner y');
      expect(a.at[0]).toBeCloseTo(22.2, 6);
      expect(a.at[2]).toBeCloseTo(22.2 + 7.5 + 250.25, 6);
      expect(a.fired).toBe(100);
      await inner.close();
      const b = await timed();
      expect(b.text).toBe('outer x');
      expect(b.at[0]).toBeCloseTo(11.1, 6);
      expect(b.at[2]).toBeCloseTo(11.1 + 7.5 + 250.25, 6);
    } finally {
      await inner.close();
      await outer.close();
    }
  });
});
