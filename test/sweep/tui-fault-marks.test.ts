/** `f` in `trace view` marks the sweep's fault points on the chunk timeline (in-process blessed screen). */
import { afterEach, describe, expect, it } from 'vitest';
import { buildViewModel } from '../../src/tui/panels.js';
import { createManualClock } from '../../src/tui/replay-clock.js';
import { faultMarks } from '../../src/tui/fault-marks.js';
import { openTraceView } from '../../src/tui/trace-view.js';
import type { Screen } from '../../src/tui/widgets.js';
import { makeAnthropicStreamTrace, makeNonStreamTrace } from '../helpers/make-trace.js';
import { fakeTerminal, KEY, openScreen, press, text } from '../tui/fake-terminal.js';

let screen: Screen | undefined;
afterEach(() => {
  screen?.destroy();
  screen = undefined;
});

const timelineRows = (t: string) => t.split('\n').filter((l) => /│\s*(✂|\s)\s*\d+\s+[\d.]+\s+[\d.]+\s/.test(l));

describe('trace view: f marks the fault points', () => {
  const trace = makeAnthropicStreamTrace({ text: 'Let me check.', toolCalls: [{ id: 't', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' }] });

  it('marks exactly the meaningful points, says why for the selected row, and f again hides them', async () => {
    const term = fakeTerminal(140, 60);
    screen = openScreen(term);
    openTraceView(screen, buildViewModel(trace), { clock: createManualClock() });
    const before = text(screen);
    expect(before).toContain('f fault points');
    expect(before).not.toContain('✂');
    await press(term, 'f');
    const on = text(screen);
    const marks = faultMarks(trace);
    expect(marks.size).toBeGreaterThanOrEqual(6);
    const marked = timelineRows(on).filter((l) => /│\s*✂/.test(l)).map((l) => Number(/✂\s*(\d+)/.exec(l)![1]));
    expect(marked).toEqual([...marks.keys()].sort((a, b) => a - b));
    expect(on).toContain(`${marks.size} fault points marked`);
    // Move the selection to the first marked row after row 0: the footer says why it is a point.
    const row = [...marks.keys()].filter((k) => k > 0).sort((a, b) => a - b)[0]!;
    for (let i = 0; i < row; i++) await press(term, KEY.down);
    expect(text(screen)).toContain(`a fault before chunk ${row + 1}: ${marks.get(row)}`);
    await press(term, KEY.down);
    if (!marks.has(row + 1)) expect(text(screen)).not.toContain('a fault before chunk');
    await press(term, 'f');
    expect(text(screen)).not.toContain('✂');
  });

  it('a non-streamed trace has no timeline and no marks', async () => {
    const term = fakeTerminal(120, 40);
    screen = openScreen(term);
    openTraceView(screen, buildViewModel(makeNonStreamTrace()), { clock: createManualClock() });
    await press(term, 'f');
    expect(text(screen)).not.toContain('✂');
    expect(faultMarks(makeNonStreamTrace()).size).toBe(0);
  });
});
