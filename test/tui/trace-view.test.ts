import { afterEach, describe, expect, it } from 'vitest';
import { runTraceViewTui } from '../../src/tui/app.js';
import { buildViewModel } from '../../src/tui/panels.js';
import { createManualClock } from '../../src/tui/replay-clock.js';
import { openTraceView } from '../../src/tui/trace-view.js';
import type { Screen } from '../../src/tui/widgets.js';
import { makeAnthropicStreamTrace, makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { fakeTerminal, KEY, openScreen, press, text, type FakeTerminal } from './fake-terminal.js';

let screen: Screen | undefined;
afterEach(() => {
  screen?.destroy();
  screen = undefined;
});

function open(trace = makeOpenAIStreamTrace({ text: 'Hello there, streaming world.', usage: { input: 9, output: 5 } }), extra = {}) {
  const term = fakeTerminal(140, 45);
  screen = openScreen(term);
  const clock = createManualClock();
  const view = openTraceView(screen, buildViewModel(trace), { clock, ...extra });
  return { term, clock, view, trace, s: screen };
}

const replayLine = (t: string) => t.split('\n').find((l) => l.includes('chunk ') && l.includes('%')) ?? '';

describe('trace view (in-process blessed screen)', () => {
  it('shows every panel with the trace figures', () => {
    const { s, trace } = open();
    const t = text(s);
    for (const label of ['Summary', 'Streaming metadata', 'Chunk timeline', 'Complete response', 'Request', 'Replay']) expect(t).toContain(label);
    expect(t).toMatch(/Endpoint\s+POST \/v1\/chat\/completions/);
    expect(t).toMatch(/HTTP Status\s+200 OK/);
    expect(t).toMatch(new RegExp(`Total Chunks\\s+${trace.total_chunks}`));
    expect(t).toMatch(/First Chunk Latency\s+312\.5 ms/);
    expect(t).toMatch(/Tokens\/sec\s+\d+\.\d/);
    expect(t).toMatch(/delta ms\s+cum ms\s+gap\s+content/);
    expect(t).toContain('" streaming"'); // a timeline preview
    expect(t).toContain('Hello there, streaming world.'); // the complete response
    expect(t).toMatch(/\[user\] Say hello/); // the request
  });

  it('r replays at the recorded pace: progress, chunk counter and growing text advance with the clock', async () => {
    const { term, clock, s, trace } = open();
    const n = trace.total_chunks!;
    await press(term, 'r');
    expect(replayLine(text(s))).toMatch(new RegExp(`▶ playing\\s+1x.*\\b0%\\s+chunk 0/${n}`));
    clock.advance(312.5); // TTFB: the first chunk arrives
    expect(replayLine(text(s))).toContain(`chunk 1/${n}`);
    clock.advance(trace.chunks![1]!.delta_ms);
    const mid = text(s);
    expect(replayLine(mid)).toContain(`chunk 2/${n}`);
    expect(mid).toContain('Complete response (replaying)');
    expect(mid).toMatch(/Hello(?! there)/); // only the first token so far
    clock.advance(10_000);
    const end = text(s);
    expect(replayLine(end)).toMatch(new RegExp(`■ done.*100%\\s+chunk ${n}/${n}`));
    expect(end).toContain('Hello there, streaming world.');
  });

  it('space pauses and resumes, + and - change speed', async () => {
    const { term, clock, s, view } = open();
    await press(term, 'r');
    clock.advance(320);
    const before = view.replay!.snapshot.shown;
    await press(term, ' ');
    expect(replayLine(text(s))).toContain('paused');
    clock.advance(5000);
    expect(view.replay!.snapshot.shown).toBe(before);
    await press(term, ' ', '+', '+');
    expect(replayLine(text(s))).toMatch(/▶ playing\s+4x/);
    await press(term, '-');
    expect(replayLine(text(s))).toMatch(/\s2x\s/);
    clock.advance(5000);
    expect(view.replay!.snapshot.done).toBe(true);
  });

  it('tab moves focus between the timeline, response and request panels, and keys scroll the focused one', async () => {
    const long = makeOpenAIStreamTrace({ text: Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ') });
    const { term, s } = open(long);
    const focusedLabel = () => (s.focused as unknown as { parent?: { _label?: { content: string } }; _label?: { content: string } });
    const label = () => (focusedLabel()._label ?? focusedLabel().parent?._label)?.content.trim();
    expect(label()).toMatch(/^Chunk timeline/);
    expect(text(s)).not.toContain('" word30"');
    await press(term, KEY.pageDown);
    const paged = text(s);
    expect(paged).toContain('" word30"'); // the list turned a page
    expect(paged).not.toContain('" word1"');
    await press(term, KEY.tab);
    expect(label()).toBe('Complete response');
    await press(term, KEY.tab, KEY.tab);
    expect(label()).toMatch(/^Chunk timeline/);
  });

  it('g says when test generation is not available, and shows the written paths when it is', async () => {
    let r = open();
    await press(r.term, 'g');
    expect(text(r.s)).toContain('test generation is not available yet');
    r.s.destroy();
    r = open(undefined, { onGenerate: async () => ['test/say-hello.test.ts', 'fixtures/say-hello.yaml'] });
    await press(r.term, 'g');
    await new Promise((res) => setTimeout(res, 10));
    expect(text(r.s)).toContain('wrote test/say-hello.test.ts, fixtures/say-hello.yaml');
  });

  it('shows a non-streamed call without the stream panels', () => {
    const { s } = open(makeNonStreamTrace({ text: 'A plain answer.' }));
    const t = text(s);
    expect(t).toContain('Complete response');
    expect(t).toContain('A plain answer.');
    expect(t).toMatch(/Type\s+Normal/);
    expect(t).not.toContain('Streaming metadata');
    expect(t).not.toContain('Chunk timeline');
  });

  it('renders Anthropic tool use and stays inside a small 80x24 terminal', async () => {
    const term = fakeTerminal(80, 24);
    screen = openScreen(term);
    openTraceView(screen, buildViewModel(makeAnthropicStreamTrace({ toolCalls: [{ id: 't1', name: 'lookup', arguments: '{"q":"x"}' }] })));
    const t = text(screen);
    expect(t.split('\n')).toHaveLength(24);
    expect(t).toContain('Request'); // moved to the right column when the left one is full
    expect(t).toMatch(/\s3\s+127\.5\s+474\.6\s+█+\s+"…?\w/); // compact timeline still shows a preview
    await press(term, KEY.end);
    expect(text(screen)).toContain('⚙ lookup(');
  });
});

describe('runTraceViewTui', () => {
  async function run(key: string): Promise<{ code: number; term: FakeTerminal }> {
    const term = fakeTerminal();
    const done = runTraceViewTui(makeOpenAIStreamTrace(), { ...term, clock: createManualClock() });
    await press(term, 'r', key);
    return { code: await done, term };
  }

  it.each([
    ['q', 'q'],
    ['Esc', KEY.escape],
    ['Ctrl-C', KEY.ctrlC],
  ])('%s exits 0 and restores the terminal', async (_name, key) => {
    const { code, term } = await run(key);
    expect(code).toBe(0);
    const out = term.written();
    expect(out).toContain('\x1b[?1049h'); // entered the alternate screen...
    const tail = out.slice(out.lastIndexOf('\x1b[?1049h'));
    expect(tail).toContain('\x1b[?1049l'); // ...and left it
    expect(tail).toContain('\x1b[?25h'); // cursor visible again
  });
});
