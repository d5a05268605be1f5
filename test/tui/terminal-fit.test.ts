/**
 * Every full-screen view at the smallest supported size (80x24) and a common one (120x40), on tmux's
 * terminal (TERM=tmux-256color, whose terminfo blessed cannot read) and with NO_COLOR: colours a dark
 * terminal shows (never black text), none at all under NO_COLOR, the key bar whole, numbers never cut.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listTraces } from '../../src/store/trace-index.js';
import type { TraceRow } from '../../src/store/trace-row.js';
import { createTraceStore } from '../../src/store/trace-store.js';
import { runBrowserTui, runDiffTui } from '../../src/tui/app.js';
import { buildViewModel } from '../../src/tui/panels.js';
import { createManualClock } from '../../src/tui/replay-clock.js';
import { openTraceView } from '../../src/tui/trace-view.js';
import { diffTraces } from '../../src/trace/diff.js';
import type { Trace } from '../../src/trace/types.js';
import { makeAnthropicStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { colourCodes, fakeTerminal, openScreen, press, settle, text, type FakeTerminal } from './fake-terminal.js';
import type { Screen } from '../../src/tui/widgets.js';

const SIZES = [
  [80, 24],
  [120, 40],
] as const;
const TERMINALS = [
  ['TERM=tmux-256color', { TERM: 'tmux-256color' }],
  ['NO_COLOR=1', { TERM: 'tmux-256color', NO_COLOR: '1' }],
] as const;

const stream = (): Trace => {
  const t = makeOpenAIStreamTrace({
    id: 'fit0a1b2c3d4',
    text: 'Hello there, streaming world.',
    usage: { input: 9, output: 5 },
    messages: [{ role: 'user', content: 'Say hello and explain streaming in one sentence.' }],
  });
  t.timing = { max_loop_delay_ms: 123.4 } as Trace['timing'];
  return t;
};

let dir: string;
let rows: TraceRow[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tf-fit-'));
  const store = createTraceStore(dir);
  await store.save(makeOpenAIStreamTrace({ id: 'aaaa1111', timestamp: '2026-05-01T10:00:00.000Z', messages: [{ role: 'user', content: 'What is the capital of France?' }] }));
  await store.save(makeOpenAIStreamTrace({ id: 'aaaa2222', timestamp: '2026-05-01T10:01:00.000Z', messages: [{ role: 'user', content: 'Write a haiku about tmux' }] }));
  await store.save(makeAnthropicStreamTrace({ id: 'bbbb3333', timestamp: '2026-05-02T10:00:00.000Z' }));
  rows = (await listTraces(dir)).rows;
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let screen: Screen | undefined;
afterEach(() => {
  screen?.destroy();
  screen = undefined;
});

const lines = (s: Screen) => text(s).split('\n');
const line = (s: Screen, has: string) => lines(s).find((l) => l.includes(has)) ?? '';

/** `greys`: the screen draws grey labels or borders, which must come out grey (SGR 90), not black. */
function checkColours(term: FakeTerminal, greys: boolean) {
  const codes = colourCodes(term.written());
  if (term.env.NO_COLOR) expect(codes).toEqual([]);
  else {
    expect(codes).not.toContain('fg 30'); // black text: invisible on a dark terminal
    if (greys) expect(codes).toContain('fg 90');
  }
}

describe.each(SIZES)('%ix%i', (cols, rowCount) => {
  describe.each(TERMINALS)('%s', (_name, env) => {
    it('trace view: whole key bar, summary values on one line, numbers whole', async () => {
      const term = fakeTerminal(cols, rowCount, env);
      screen = openScreen(term);
      const clock = createManualClock();
      openTraceView(screen, buildViewModel(stream()), { clock });
      const all = lines(screen);
      expect(all).toHaveLength(rowCount);
      for (const l of all) expect(l.length).toBeLessThanOrEqual(cols);
      expect(all.at(-1)).toMatch(/ r replay .* g gen test +q quit$/);
      expect(line(screen, 'Endpoint')).toMatch(/Endpoint +POST \/v1\/chat\/completions +│/);
      expect(line(screen, 'Timestamp')).toMatch(/Timestamp +2026-11-24T15:41:00\.123Z +│/);
      expect(line(screen, 'Type ')).toMatch(/Type +Stream/);
      expect(line(screen, 'Gap p50')).toMatch(/Gap p50 \/ p95 +\d+\.\d ms \/ \d+\.\d ms/);
      expect(line(screen, 'Longest Stall')).toMatch(/Longest Stall +127\.5 ms \(chunk 3\)/);
      // On one line, or wrapped under the value column: the number stays whole, with its unit.
      expect(text(screen)).toMatch(/Stamp Accuracy +(off by up to 123\.4 ms|may be off by up to +│[^\n]*\n│ {10,}123\.4 ms)/);
      expect(line(screen, 'press r')).toMatch(/press r to replay .*│$/);
      await press(term, 'r');
      clock.advance(400);
      expect(line(screen, '▶ playing')).toMatch(/▶ playing +1x +(█*░+ )? *\d+% +(chunk )?3\/8( +t 347\.1 ms \/ 545\.5 ms)? *│$/);
      clock.advance(10_000);
      expect(line(screen, '■ done')).toMatch(/■ done +1x +.*100% +(chunk )?8\/8.*│$/);
    });

    it('browser: whole key bar, the prompt column, endpoint and numbers whole, `/` finds a prompt', async () => {
      const term = fakeTerminal(cols, rowCount, env);
      screen = openScreen(term);
      const done = runBrowserTui(rows, { ...term, screen, dir, load: (row) => createTraceStore(dir).load(row.file) });
      await settle();
      const all = lines(screen);
      for (const l of all) expect(l.length).toBeLessThanOrEqual(cols);
      expect(all.at(-1)).toMatch(/ ↑↓( PgUp PgDn)? select +enter open +\/ filter +q quit$/);
      expect(line(screen, 'ID ')).toMatch(/(DURATION|TTFB) +PROMPT$/);
      expect(line(screen, 'aaaa1111')).toMatch(/\d+\.\d+ ms +What is/);
      if (cols >= 120) expect(line(screen, 'aaaa1111')).toContain(' /v1/chat/completions ');
      await press(term, '/', ...'haiku', '\r');
      expect(text(screen)).toContain('1 of 3 traces');
      expect(line(screen, 'aaaa2222')).toContain('Write a haiku');
      await press(term, 'q');
      expect(await done).toBe(0);
      screen = undefined;
    });

    it('every screen draws in colours the terminal shows, or none under NO_COLOR', async () => {
      const view = fakeTerminal(cols, rowCount, env);
      screen = openScreen(view);
      const clock = createManualClock();
      openTraceView(screen, buildViewModel(stream()), { clock });
      await press(view, 'r', '\t');
      clock.advance(10_000);
      text(screen);
      checkColours(view, true);
      screen.destroy();

      const browse = fakeTerminal(cols, rowCount, env);
      const browsed = runBrowserTui(rows, { ...browse, dir, load: (row) => createTraceStore(dir).load(row.file) });
      await settle();
      await press(browse, '\x1b[B', 'q');
      expect(await browsed).toBe(0);
      checkColours(browse, false);

      const store = createTraceStore(dir);
      const [a, b] = [await store.load('aaaa1111'), await store.load('bbbb3333')];
      const diff = fakeTerminal(cols, rowCount, env);
      screen = openScreen(diff);
      const diffed = runDiffTui(diffTraces(a, b), a, b, { ...diff, screen });
      await settle();
      expect(lines(screen).at(-1)).toMatch(/tab next section .* q quit$/);
      await press(diff, 'q');
      expect(await diffed).toBe(0);
      checkColours(diff, false);
      screen = undefined;
    });
  });
});
