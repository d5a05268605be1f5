import { afterEach, describe, expect, it } from 'vitest';
import { parseTrace } from '../../src/trace/codec.js';
import { buildViewModel } from '../../src/tui/panels.js';
import { createManualClock } from '../../src/tui/replay-clock.js';
import { openTraceView } from '../../src/tui/trace-view.js';
import type { Screen } from '../../src/tui/widgets.js';
import { fakeTerminal, openScreen, press, text } from '../tui/fake-terminal.js';
import { seedText } from './seeds.js';

let screen: Screen | undefined;
afterEach(() => {
  screen?.destroy();
  screen = undefined;
});

describe('trace view (blessed) of a schema 1.0.0 trace', () => {
  it('shows its origin, streaming timing, timeline and response, and replays it at its recorded pace', async () => {
    const trace = parseTrace(seedText('anthropic-messages-stream'), 'anthropic-messages-stream.json');
    const term = fakeTerminal(160, 50);
    screen = openScreen(term);
    const clock = createManualClock();
    openTraceView(screen, buildViewModel(trace), { clock });
    const t = text(screen);
    expect(t).toContain('synthesised framing');
    expect(t).toMatch(/Origin\s+schema 1\.0\.0 trace \(first TraceForge\)/);
    expect(t).toMatch(/Framing\s+SSE synthesised from parsed chunks/);
    expect(t).toMatch(/Total Chunks\s+15/);
    expect(t).toMatch(/First Chunk Latency\s+655\.8 ms/);
    expect(t).toMatch(/Stream Duration\s+240\.7 ms/);
    expect(t).toContain('"Bonjour"');
    expect(t).toContain('Bonjour! Paris is the capital of France.');

    await press(term, 'r');
    clock.advance(655.8 + 2.41 + 0.88 + 38.2); // TTFB, then up to the first text delta
    const mid = text(screen);
    expect(mid).toContain('chunk 4/15');
    expect(mid).toContain('Complete response (replaying)');
    expect(mid).not.toContain('Bonjour!');
    clock.advance(10_000);
    const end = text(screen);
    expect(end).toMatch(/done.*100%\s+chunk 15\/15/);
    expect(end).toContain('Bonjour! Paris is the capital of France.');
  });
});
