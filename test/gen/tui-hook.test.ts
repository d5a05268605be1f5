import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateHook } from '../../src/cli/commands/trace-view.js';
import { buildViewModel } from '../../src/tui/panels.js';
import { createManualClock } from '../../src/tui/replay-clock.js';
import { openTraceView } from '../../src/tui/trace-view.js';
import type { Screen } from '../../src/tui/widgets.js';
import { makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { fakeTerminal, openScreen, press, text } from '../tui/fake-terminal.js';

// The `g` hook writes relative to the current directory, as `traceforge trace view` does.
let project: string;
let home: string;
let screen: Screen | undefined;
beforeEach(async () => {
  home = process.cwd();
  project = await mkdtemp(join(tmpdir(), 'tf-g-'));
  process.chdir(project);
});
afterEach(async () => {
  screen?.destroy();
  screen = undefined;
  process.chdir(home);
  await rm(project, { recursive: true, force: true });
});

const trace = () => makeOpenAIStreamTrace({ messages: [{ role: 'user', content: 'Say hello' }], text: 'Hello!' });

/** Press g in a real blessed trace view and wait for the footer to report. */
async function pressG(t = trace()): Promise<string> {
  const term = fakeTerminal(140, 45);
  screen = openScreen(term);
  openTraceView(screen, buildViewModel(t), { clock: createManualClock(), onGenerate: generateHook });
  await press(term, 'g');
  for (let i = 0; i < 100 && /generating a test/.test(text(screen)); i++) await new Promise((r) => setTimeout(r, 20));
  const out = text(screen);
  screen.destroy();
  screen = undefined;
  return out;
}

describe('g in the trace view runs the generator', () => {
  it('writes the test and cassette and shows their paths', async () => {
    expect(await generateHook(trace())).toEqual(['test/say-hello.test.ts', 'fixtures/say-hello.yaml']);
    expect((await readdir(project, { recursive: true })).sort()).toEqual(['fixtures', 'fixtures/say-hello.yaml', 'test', 'test/say-hello.test.ts']);
  });

  it('shows the paths on screen, then asks before overwriting them: n keeps the files, y overwrites them', async () => {
    expect(await pressG()).toContain('wrote test/say-hello.test.ts, fixtures/say-hello.yaml');
    await writeFile('test/say-hello.test.ts', '// edited by hand\n');
    const term = fakeTerminal(80, 24);
    screen = openScreen(term);
    openTraceView(screen, buildViewModel(trace()), { clock: createManualClock(), onGenerate: generateHook });
    const footer = async () => {
      for (let i = 0; i < 100 && /generating a test|overwriting the test/.test(text(screen!)); i++) await new Promise((r) => setTimeout(r, 20));
      return text(screen!).split('\n').at(-1)!;
    };
    await press(term, 'g');
    expect(await footer()).toBe(' test/say-hello.test.ts already exists: overwrite it? y/n');
    await press(term, 'n');
    expect(await footer()).toBe(' kept the existing test; nothing was written');
    expect(await readFile('test/say-hello.test.ts', 'utf8')).toBe('// edited by hand\n');
    await press(term, 'g');
    expect(await footer()).toMatch(/overwrite it\? y\/n$/);
    await press(term, 'y');
    expect(await footer()).toBe(' overwrote test/say-hello.test.ts, fixtures/say-hello.yaml');
    expect(await readFile('test/say-hello.test.ts', 'utf8')).toContain('say-hello.yaml');
  });

  it('shows why a trace cannot become a test', async () => {
    expect(await pressG(makeNonStreamTrace({ id: 'plain1' }))).toContain('trace plain1 (POST /v1/chat/completions) is not a streamed call');
    expect(await readdir(project)).toEqual([]);
  });
});
