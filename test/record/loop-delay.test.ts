import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRecorder, testHooks } from '../../src/record/recorder.js';
import { buildViewModel, renderTextView } from '../../src/tui/panels.js';
import { plainStyle } from '../../src/tui/style.js';
import type { Trace } from '../../src/trace/types.js';
import { drain, startLoggedUpstream, type LoggedUpstream } from '../session-length/logged-upstream.js';

const REQUEST = { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'count' }] };

describe('each trace says how far its stamps can be trusted', () => {
  let upstream: LoggedUpstream;
  beforeAll(async () => {
    upstream = await startLoggedUpstream({ chunks: 40, gapMs: 4 });
  });
  afterAll(async () => {
    await upstream.close();
  });
  afterEach(() => {
    delete testHooks.stallEveryRead;
    delete testHooks.crashAfterReads;
  });

  async function recordOne(): Promise<Trace> {
    const traces: Trace[] = [];
    const rec = await startRecorder({ upstream: upstream.url, onTrace: (t) => void traces.push(t) });
    try {
      await drain(`${rec.url}/v1/chat/completions`, REQUEST);
      await rec.flush();
    } finally {
      await rec.close();
    }
    expect(await rec.stopped).toBeUndefined();
    expect(traces).toHaveLength(1);
    return traces[0]!;
  }

  it('a proxy thread held up for 60 ms during the call is written down and flagged by trace view', async () => {
    testHooks.stallEveryRead = { every: 10, ms: 60 };
    const stalled = await recordOne();
    expect(stalled.timing?.max_loop_delay_ms).toBeGreaterThanOrEqual(40);
    const text = renderTextView(buildViewModel(stalled), plainStyle);
    expect(text).toMatch(/Stamp Accuracy\s+may be off by up to \d+(\.\d+)? ms/);
  });

  it("a busy recorder's own thread (trace building, onTrace) does not hold up the stamps", async () => {
    const traces: Trace[] = [];
    const rec = await startRecorder({
      upstream: upstream.url,
      onTrace: (t) => {
        traces.push(t);
      },
    });
    // Block this thread 25 ms of every 50 while the call streams: the stamping thread must not notice.
    const busy = setInterval(() => {
      const until = performance.now() + 25;
      while (performance.now() < until);
    }, 50);
    try {
      await drain(`${rec.url}/v1/chat/completions`, REQUEST);
      await rec.flush();
    } finally {
      clearInterval(busy);
      await rec.close();
    }
    const t = traces[0]!;
    expect(t.timing?.max_loop_delay_ms).toBeTypeOf('number');
    const truth = upstream.log.at(-1)!;
    const deltas = truth.writes.map((w, k) => (k === 0 ? 0 : w - truth.writes[k - 1]!));
    const errs = t.chunks!.map((c, k) => Math.abs(c.delta_ms - deltas[k]!)).sort((a, b) => a - b);
    // Stamped on this thread, every chunk arriving during a block would be up to 25 ms off.
    expect(errs[Math.floor(errs.length * 0.9)]!).toBeLessThan(10);
  });

  it('a proxy thread that dies is reported: onError names it, `stopped` settles with the error, close() still returns', async () => {
    testHooks.crashAfterReads = 5;
    const errors: Error[] = [];
    const rec = await startRecorder({ upstream: upstream.url, onError: (e) => void errors.push(e) });
    await drain(`${rec.url}/v1/chat/completions`, REQUEST).catch(() => undefined);
    const stopped = await rec.stopped;
    expect(stopped?.message).toMatch(/the recorder's proxy thread failed: crash asked for by a test/);
    expect(errors.map((e) => e.message)).toContainEqual(expect.stringMatching(/proxy thread failed/));
    await rec.close();
  });
});
