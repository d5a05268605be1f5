/**
 * The app's own timers on the virtual clock: they fire at their time inside a recorded gap, before the
 * chunk that follows it; concurrent calls interleave by their recorded offsets; faults and SDK
 * retry back-off cost no wall time; a user's own vi.useFakeTimers() is the one clock.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useCassette } from '../../src/vitest.js';
import { realNow } from '../../src/util/real-timers.js';
import { chatTrace, expectedOffsets, tempCassette } from './helpers.js';

const WORDS = ['a', 'b', 'c', 'd'];
// role, a, b, c, d, finish, usage, [DONE]: a 200 ms gap before c, a 500 ms gap before d.
const GAPS = [0, 10, 10, 200, 500, 5, 1, 1];
const slow = chatTrace('slow', WORDS, GAPS, 50, 'trslow000001');
const other = chatTrace('other', ['x', 'y', 'z'], [0, 95, 95, 95, 1, 1, 1], 20, 'trother00001');
const path = await tempCassette([slow, other]);
const openai = new OpenAI({ apiKey: 'sk-test', maxRetries: 2 });

async function chat(prompt: string, onChunk?: (text: string) => void, signal?: AbortSignal) {
  const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: prompt }] }, { signal });
  let text = '';
  for await (const c of stream) {
    const t = c.choices[0]?.delta?.content ?? '';
    text += t;
    onChunk?.(t);
  }
  return text;
}

describe('app timers and concurrency', () => {
  useCassette(path, { clock: 'virtual' });

  it('an idle timeout of 300 ms fires at 300 ms inside the 500 ms gap, and not in the 200 ms gap', async () => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lastAt = 0;
    let firedAfter = -1;
    const arm = () => {
      clearTimeout(timer);
      lastAt = performance.now();
      timer = setTimeout(() => {
        firedAfter = performance.now() - lastAt;
        controller.abort();
      }, 300);
    };
    const seen: string[] = [];
    arm();
    // The openai SDK ends the iteration quietly when its signal aborts.
    const text = await chat('slow', (t) => {
      seen.push(t);
      arm();
    }, controller.signal).catch((e: Error) => e.name);
    clearTimeout(timer);
    expect(controller.signal.aborted).toBe(true);
    // role '' then a, b, c arrived (c after the 200 ms gap); d, 500 ms later, never did.
    expect(seen.join('')).toBe('a b c');
    expect(['a b c', 'AbortError', 'APIUserAbortError']).toContain(text);
    expect(firedAfter).toBeCloseTo(300, 6);
  });

  it('concurrent calls interleave in the order of their recorded offsets', async () => {
    const t0 = performance.now();
    const arrivals: Array<[string, number]> = [];
    await Promise.all([
      chat('slow', () => arrivals.push(['slow', performance.now() - t0])),
      chat('other', () => arrivals.push(['other', performance.now() - t0])),
    ]);
    const want = [
      ...expectedOffsets(50, GAPS, 7).map((at) => ['slow', at] as [string, number]),
      ...expectedOffsets(20, [0, 95, 95, 95, 1, 1, 1], 6).map((at) => ['other', at] as [string, number]),
    ].sort((a, b) => a[1] - b[1]);
    expect(arrivals.map(([who]) => who)).toEqual(want.map(([who]) => who));
    arrivals.forEach(([, at], i) => expect(Math.abs(at - want[i]![1])).toBeLessThan(0.001));
  });

  it("a user's own vi.useFakeTimers() is the one clock the tape drives", async () => {
    vi.useFakeTimers();
    try {
      const t0 = performance.now();
      const at: number[] = [];
      await chat('slow', () => at.push(performance.now() - t0));
      expect(at).toHaveLength(7);
      expectedOffsets(50, GAPS, 7).forEach((want, i) => expect(Math.abs(at[i]! - want)).toBeLessThan(0.001));
    } finally {
      vi.useRealTimers();
    }
  });

  it('AbortSignal.timeout runs on the virtual clock too', async () => {
    const wall = realNow();
    const t0 = performance.now();
    const signal = AbortSignal.timeout(150);
    let abortedAt = -1;
    signal.addEventListener('abort', () => (abortedAt = performance.now() - t0));
    // role at 50, a at 60, b at 70, c at 270: the timeout falls between b and c.
    expect(await chat('slow', undefined, signal).catch((e: Error) => e.name)).toBe('a b');
    expect(abortedAt).toBeCloseTo(150, 6);
    expect(realNow() - wall).toBeLessThan(5000);
  });
});

describe('faults on the virtual timeline', () => {
  useCassette(path, { clock: 'virtual', faults: ['stall=3:60000', 'status=429:1@1'] });

  it('the SDK retry after a 429 and a 60 s stall cost virtual time, not wall time', async () => {
    const wall = realNow();
    const t0 = performance.now();
    expect(await chat('slow')).toBe('a b c d');
    const took = performance.now() - t0;
    // retry-after 1 s (the SDK waits it), then the stream with a 60 s stall before its third chunk.
    expect(took).toBeGreaterThan(61_000);
    expect(realNow() - wall).toBeLessThan(5000);
  });
});

describe('a cut stream', () => {
  useCassette(path, { clock: 'virtual', faults: ['drop-after=3'] });

  it('the app sees the connection cut after the third chunk, at its recorded time', async () => {
    const t0 = performance.now();
    const seen: string[] = [];
    await expect(chat('slow', (t) => seen.push(t))).rejects.toThrow();
    expect(seen.join('')).toBe('a b');
    expect(performance.now() - t0).toBeCloseTo(50 + 10 + 10, 6);
  });
});

describe('between tests', () => {
  // Registered before useCassette, so it runs after its after-each hook, between tests.
  const waited: number[] = [];
  afterEach(async () => {
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 50));
    waited.push(performance.now() - t0);
  });
  useCassette(path, { clock: 'virtual' });

  it('an after-each hook that waits on a timer gets it, at the wall-clock pace', async () => {
    expect(await chat('slow')).toBe('a b c d');
  });

  it('the previous hook did not hang', () => {
    expect(waited).toHaveLength(1);
    // The clock keeps whole nanoseconds.
    expect(waited[0]).toBeGreaterThanOrEqual(50 - 1e-6);
  });
});
