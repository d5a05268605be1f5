import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTraces } from '../../src/store/trace-index.js';
import type { TraceRow } from '../../src/store/trace-row.js';
import { createTraceStore } from '../../src/store/trace-store.js';
import { runBrowserTui, runDiffTui } from '../../src/tui/app.js';
import { diffTraces } from '../../src/trace/diff.js';
import { makeAnthropicStreamTrace, makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { fakeTerminal, KEY, press, settle } from './fake-terminal.js';
import { createScreen, screenText, type Screen } from '../../src/tui/widgets.js';

let dir: string;
let rows: TraceRow[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tf-browser-'));
  const store = createTraceStore(dir);
  await store.save(makeOpenAIStreamTrace({ id: 'aaaa1111', timestamp: '2026-05-01T10:00:00.000Z', text: 'First answer.' }));
  await store.save(makeAnthropicStreamTrace({ id: 'bbbb2222', timestamp: '2026-05-02T10:00:00.000Z', text: 'Claude answer.' }));
  await store.save(makeNonStreamTrace({ id: 'cccc3333', timestamp: '2026-05-03T10:00:00.000Z', model: 'gpt-4.1', text: 'Plain.' }));
  rows = (await listTraces(dir)).rows;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let screen: Screen;
function current(): string {
  screen.render();
  return screenText(screen);
}
function terminal() {
  const term = fakeTerminal(140, 30);
  screen = createScreen(term);
  return { ...term, screen };
}

describe('trace browser', () => {
  it('lists traces, filters with /, opens one with Enter, comes back with q and quits with q', async () => {
    const term = terminal();
    const store = createTraceStore(dir);
    const done = runBrowserTui(rows, { ...term, dir, load: (row) => store.load(row.file) });
    await settle();
    let t = current();
    expect(t).toContain('3 traces');
    expect(t).toMatch(/ID\s+TIME\s+ENDPOINT\s+MODEL\s+TYPE\s+STATUS\s+CHUNKS\s+DURATION\s+TTFB/);
    expect(t.indexOf('cccc3333')).toBeLessThan(t.indexOf('aaaa1111')); // newest first

    await press(term, '/', ...'claude', KEY.enter);
    t = current();
    expect(t).toContain('1 of 3 traces');
    expect(t).toContain('filter: claude');
    expect(t).toContain('bbbb2222');
    expect(t).not.toContain('aaaa1111');

    await press(term, KEY.enter);
    await new Promise((r) => setTimeout(r, 50)); // the trace loads from disk
    t = current();
    expect(t).toContain('trace bbbb2222');
    expect(t).toContain('Claude answer.');
    expect(t).toContain('q back');

    await press(term, 'q');
    t = current();
    expect(t).toContain('1 of 3 traces');
    await press(term, '/', KEY.escape); // Esc keeps the filter
    expect(current()).toContain('filter: claude');

    await press(term, 'q');
    expect(await done).toBe(0);
  });

  it('moves the selection with the arrows before opening', async () => {
    const term = terminal();
    const store = createTraceStore(dir);
    const done = runBrowserTui(rows, { ...term, dir, load: (row) => store.load(row.file) });
    await settle();
    await press(term, KEY.down, KEY.enter);
    await new Promise((r) => setTimeout(r, 50));
    expect(current()).toContain('trace bbbb2222');
    await press(term, KEY.ctrlC); // Ctrl-C in the view quits everything
    expect(await done).toBe(0);
  });
});

describe('diff screen', () => {
  it('shows both traces side by side and tab jumps to the timing section', async () => {
    const store = createTraceStore(dir);
    const a = await store.load('aaaa1111');
    const b = await store.load('bbbb2222');
    const term = terminal();
    const done = runDiffTui(diffTraces(a, b), a, b, term);
    await settle();
    let t = current();
    expect(t).toContain('diff  A aaaa1111  ↔  B bbbb2222');
    expect(t).toContain('── Request');
    expect(t).toMatch(/max_tokens\s+—\s+│\s+1024/);
    expect(t).not.toContain('Gap distribution');
    await press(term, KEY.tab, KEY.tab);
    t = current();
    expect(t).toContain('── Timing');
    expect(t).toMatch(/TTFB\s+312\.5 ms\s+312\.5 ms/);
    expect(t).toContain('Gap distribution');
    await press(term, KEY.escape);
    expect(await done).toBe(0);
  });
});
