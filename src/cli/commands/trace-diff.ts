import { createTraceStore, DEFAULT_TRACES_DIR } from '../../store/trace-store.js';
import { diffTraces } from '../../trace/diff.js';
import { renderDiff } from '../../tui/diff-render.js';
import { shouldColor, styleFor } from '../../tui/style.js';
import type { CommandContext } from '../main.js';

/** `traceforge trace diff A B`: side by side request, response and timing; blessed on a terminal, text otherwise. */
export async function run(ctx: CommandContext): Promise<number> {
  const dir = typeof ctx.opts.traces === 'string' ? ctx.opts.traces : DEFAULT_TRACES_DIR;
  const store = createTraceStore(dir);
  const a = await store.load(String(ctx.args[0]));
  const b = await store.load(String(ctx.args[1]));
  const d = diffTraces(a, b);
  if (!ctx.opts.text && process.stdout.isTTY === true && process.stdin.isTTY === true) {
    const { runDiffTui } = await import('../../tui/app.js');
    return runDiffTui(d, a, b);
  }
  const lines = renderDiff(d, a, b, styleFor(process.stdout), { width: process.stdout.columns ?? 100, markers: !shouldColor(process.stdout) });
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
