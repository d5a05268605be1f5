import type { TraceRow } from '../store/trace-row.js';
import type { TraceWindow } from '../store/trace-store.js';
import type { TraceDiff } from '../trace/diff.js';
import type { Trace } from '../trace/types.js';
import { openBrowser, type BrowserOptions } from './browser.js';
import { openDiffView } from './diff-view.js';
import { buildViewModel } from './panels.js';
import { openTraceView, type TraceViewOptions } from './trace-view.js';
import { createScreen, type Screen, type ScreenStreams } from './widgets.js';

/**
 * Entry points the CLI calls. Each owns one blessed screen for its lifetime and always destroys it,
 * which leaves the alternate screen, shows the cursor and turns raw mode off: the terminal comes back
 * as it was, whether the user quit, a signal arrived or something threw.
 */
async function withScreen(io: ScreenStreams, run: (screen: Screen) => Promise<unknown>): Promise<number> {
  const screen = io.screen ?? createScreen(io);
  // A signal would otherwise kill the process with the terminal still in raw mode on the alternate screen.
  const onSignal = (signal: NodeJS.Signals) => {
    screen.destroy();
    process.exit(signal === 'SIGTERM' ? 143 : 129);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
  try {
    await run(screen);
    return 0;
  } finally {
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGHUP', onSignal);
    screen.destroy();
  }
}

/** `window` comes from `store.loadForView()` for a trace too big to load whole. */
export function runTraceViewTui(trace: Trace, io: ScreenStreams & TraceViewOptions & { window?: TraceWindow | null } = {}): Promise<number> {
  return withScreen(io, (screen) => openTraceView(screen, buildViewModel(trace, io.window ?? null), io).closed);
}

export function runBrowserTui(rows: readonly TraceRow[], io: ScreenStreams & BrowserOptions): Promise<number> {
  return withScreen(io, (screen) => openBrowser(screen, rows, io).closed);
}

/** `notes` say when a side was too big to load whole and what was compared instead. */
export function runDiffTui(d: TraceDiff, a: Trace, b: Trace, io: ScreenStreams & { notes?: string[] } = {}): Promise<number> {
  return withScreen(io, (screen) => openDiffView(screen, d, a, b, io.notes).closed);
}
