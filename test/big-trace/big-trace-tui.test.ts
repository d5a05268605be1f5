import { afterEach, describe, expect, it } from 'vitest';
import { generateHook } from '../../src/cli/commands/trace-view.js';
import { listTraces } from '../../src/store/trace-index.js';
import { createTraceStore } from '../../src/store/trace-store.js';
import { runBrowserTui } from '../../src/tui/app.js';
import { fmtMs } from '../../src/tui/format.js';
import { buildViewModel, metricsLines } from '../../src/tui/panels.js';
import { createManualClock } from '../../src/tui/replay-clock.js';
import { openTraceView } from '../../src/tui/trace-view.js';
import { plainStyle } from '../../src/tui/style.js';
import type { Screen } from '../../src/tui/widgets.js';
import { fakeTerminal, KEY, openScreen, press, settle, text } from '../tui/fake-terminal.js';
import { BIG_ID, useBigTraceProject } from './big-trace-fixture.js';

const LIMIT = 1024 * 1024;
const p = useBigTraceProject();
let screen: Screen | undefined;
afterEach(() => {
  screen?.destroy();
  screen = undefined;
});

describe('a big trace in the TUI and the store', () => {
  it('the window model has the same figures as the whole trace and only the first and last chunks', async () => {
    const store = createTraceStore(p.dir);
    const big = await store.loadForView(BIG_ID, { limitBytes: LIMIT });
    const whole = await store.loadForView(BIG_ID);
    expect(whole.window).toBeNull();
    expect(big.window).toMatchObject({ totalPieces: 50_000, headCount: 2000, tailStart: 49_950, bodyBytes: p.expect.bodyBytes, fileBytes: p.size, limitBytes: LIMIT });
    expect(big.trace.chunks).toHaveLength(2050);
    expect(big.trace.chunks![2000]).toEqual(whole.trace.chunks![49_950]);
    const vmBig = buildViewModel(big.trace, big.window);
    const vmWhole = buildViewModel(whole.trace);
    // Every figure but the sparkline (downsampled for a window) and the window's extra Body line.
    const figures = (lines: string[]) => lines.filter((l) => !/^(Gaps|Body)/.test(l));
    expect(figures(metricsLines(vmBig, plainStyle))).toEqual(figures(metricsLines(vmWhole, plainStyle)));
    expect(vmBig.offsets[2000]).toBeCloseTo(vmWhole.offsets[49_950]!, 6);
  }, 30_000);

  it('the view says it shows 2,050 of 50,000 chunks, has no replay, and g refuses to write a cassette', async () => {
    const big = await createTraceStore(p.dir).loadForView(BIG_ID, { limitBytes: LIMIT });
    const term = fakeTerminal(160, 50);
    screen = openScreen(term);
    const view = openTraceView(screen, buildViewModel(big.trace, big.window), { clock: createManualClock(), onGenerate: generateHook });
    let t = text(screen);
    expect(t).toContain('2,050 of 50,000 chunks loaded');
    expect(t).toMatch(/Total Chunks\s+50000/);
    expect(t).toContain(`Gap p50 / p95         ${fmtMs(p.expect.p50)} / ${fmtMs(p.expect.p95)}`);
    expect(t).toMatch(/Body\s+3\.0 MB/);
    expect(t).toContain('Chunk timeline  2,050 of 50,000 chunks');
    expect(t).toMatch(/no replay: showing 2,050 of 50,000 chunks; the file is [\d.]+ MB, over the 1\.0 MB read whole/);
    expect(t).not.toContain(' r replay');
    expect(view.replay).toBeNull();
    await press(term, 'r', KEY.end);
    t = text(screen);
    expect(t).toMatch(/49999\s.*" w49999"/);
    await press(term, 'g');
    // The hook imports the gen command lazily.
    for (let i = 0; i < 250 && text(screen).includes('generating'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(text(screen)).toMatch(/trace b16b16b16b16 has a \d+-byte body in 50000 chunks, over the cassette limit/);
  }, 30_000);

  it('the browser opens the big trace as a window', async () => {
    const term = fakeTerminal(160, 50);
    screen = openScreen(term);
    const store = createTraceStore(p.dir);
    const { rows } = await listTraces(p.dir);
    const done = runBrowserTui(rows, { ...term, screen, dir: p.dir, load: (row) => store.loadForView(row.file, { limitBytes: LIMIT }) });
    await settle();
    expect(text(screen)).toMatch(/b16b16b1.*50000/);
    await press(term, KEY.enter);
    for (let i = 0; i < 50 && !text(screen).includes('chunks loaded'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(text(screen)).toContain('2,050 of 50,000 chunks loaded');
    await press(term, 'q', 'q');
    await expect(done).resolves.toBe(0);
    screen = undefined;
  }, 30_000);

  it('load() refuses a file over the limit in one line instead of parsing it whole', async () => {
    const before = process.env.TRACEFORGE_WINDOW_BYTES;
    process.env.TRACEFORGE_WINDOW_BYTES = String(LIMIT);
    try {
      const err = (await createTraceStore(p.dir).load(BIG_ID).then(() => new Error('loaded'), (e: unknown) => e)) as Error & { code?: string };
      expect(err.code).toBe('E_TRACE_INVALID');
      expect(err.message).toMatch(/: \d+ bytes is over the 1048576 bytes a trace is loaded whole \(TRACEFORGE_WINDOW_BYTES\); `traceforge trace view` shows it as a window/);
      expect(err.message).not.toContain('\n');
    } finally {
      if (before === undefined) delete process.env.TRACEFORGE_WINDOW_BYTES;
      else process.env.TRACEFORGE_WINDOW_BYTES = before;
    }
  }, 30_000);
});
