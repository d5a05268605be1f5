import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkOffsets, gapBucketLabels, gapHistogram, isStall, percentile, sparkline, streamMetrics } from '../../src/trace/metrics.js';
import { makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';

describe('streamMetrics', () => {
  it('computes gap statistics from delta_ms, ignoring the first chunk', () => {
    const t = makeOpenAIStreamTrace({ text: 'a b c d e', usage: null, gaps: [0, 10, 20, 30, 40, 250, 10, 5] });
    expect(t.chunks).toHaveLength(8); // role + 5 tokens + finish + [DONE]
    const m = streamMetrics(t, { outputTokens: 5 });
    expect(m.gaps).toEqual([10, 20, 30, 40, 250, 10, 5]);
    expect(m.totalChunks).toBe(8);
    expect(m.streamDurationMs).toBe(365);
    expect(m.averageChunkMs).toBeCloseTo(365 / 7);
    expect(m.p50GapMs).toBe(20);
    expect(m.p95GapMs).toBe(250);
    expect(m.longestStall).toEqual({ ms: 250, index: 5 });
    expect(m.firstChunkLatencyMs).toBe(312.5);
    expect(m.tokensPerSecond).toBeCloseTo(5 / 0.365);
  });

  it('leaves tokens/sec unknown without usage, and gap figures empty for a non-stream trace', () => {
    expect(streamMetrics(makeOpenAIStreamTrace()).tokensPerSecond).toBeNull();
    const m = streamMetrics(makeNonStreamTrace());
    expect(m.totalChunks).toBe(0);
    expect(m.averageChunkMs).toBeNull();
    expect(m.longestStall).toBeNull();
    expect(m.firstChunkLatencyMs).toBe(640.25); // falls back to the HTTP first byte
  });

  it('places chunks at TTFB plus the running sum of delta_ms', () => {
    const t = makeOpenAIStreamTrace({ text: 'a b', usage: null, gaps: [0, 5, 7, 1, 2] });
    expect(chunkOffsets(t)).toEqual([312.5, 317.5, 324.5, 325.5, 327.5].slice(0, t.chunks!.length));
  });
});

describe('percentile', () => {
  it('is ordered and bounded by the data', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1 }), (xs) => {
        const s = [...xs].sort((a, b) => a - b);
        const p50 = percentile(s, 50)!;
        const p95 = percentile(s, 95)!;
        expect(p50).toBeLessThanOrEqual(p95);
        expect(p50).toBeGreaterThanOrEqual(s[0]!);
        expect(p95).toBeLessThanOrEqual(s.at(-1)!);
        expect(percentile(s, 100)).toBe(s.at(-1));
      }),
    );
  });
  it('is null for no data', () => expect(percentile([], 50)).toBeNull());
});

describe('stalls, histogram and sparkline', () => {
  it('flags gaps far above the median only', () => {
    expect(isStall(300, { p50GapMs: 15 })).toBe(true);
    expect(isStall(45, { p50GapMs: 5 })).toBe(false); // under 50 ms is never a stall
    expect(isStall(120, { p50GapMs: 100 })).toBe(false); // a slow model is not stalling
  });

  it('histogram counts every gap exactly once', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 5000, noNaN: true })), (gaps) => {
        const h = gapHistogram(gaps);
        expect(h).toHaveLength(gapBucketLabels().length);
        expect(h.reduce((a, b) => a + b, 0)).toBe(gaps.length);
      }),
    );
    expect(gapHistogram([0.5, 3, 10, 30, 70, 200, 900])).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });

  it('sparkline keeps the stall visible when downsampling', () => {
    const gaps = [...Array.from({ length: 100 }, () => 10), 400, ...Array.from({ length: 99 }, () => 10)];
    const s = sparkline(gaps, 20);
    expect([...s]).toHaveLength(20);
    expect(s).toContain('█');
    expect(s.replace('█', '')).toMatch(/^▁+$/);
    expect(sparkline([], 10)).toBe('');
  });
});
