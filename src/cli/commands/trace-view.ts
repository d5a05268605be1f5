import { TraceForgeError } from '../../errors.js';
import { listTraces } from '../../store/trace-index.js';
import { createTraceStore, DEFAULT_TRACES_DIR } from '../../store/trace-store.js';
import type { Trace } from '../../trace/types.js';
import { filterRows, renderTable, synthesizedNote } from '../../tui/list-table.js';
import { buildViewModel, renderTextView } from '../../tui/panels.js';
import { styleFor } from '../../tui/style.js';
import type { GenerateHook } from '../../tui/trace-view.js';
import type { CommandContext } from '../main.js';

/** Pull the written paths out of whatever the generator returns (a list, or an object naming files). */
export function writtenPaths(result: unknown): string[] {
  if (Array.isArray(result)) return result.filter((p): p is string => typeof p === 'string');
  if (typeof result === 'string') return [result];
  if (typeof result !== 'object' || result === null) return [];
  const r = result as Record<string, unknown>;
  for (const key of ['paths', 'files', 'written']) if (Array.isArray(r[key])) return writtenPaths(r[key]);
  return Object.entries(r)
    .filter(([k, v]) => typeof v === 'string' && /(path|file)$/i.test(k))
    .map(([, v]) => v as string);
}

/**
 * The `g` key. Test generation is its own module (issue 4); it is imported only when asked for, and a
 * build without it says so instead of failing.
 */
export const generateHook: GenerateHook = async (trace: Trace, window) => {
  (await import('./gen.js')).refuseTooBigForCassette(trace, window ?? null);
  // A computed specifier keeps this file compiling before src/gen exists.
  const spec = '../../gen/index.js';
  let mod: { generateFromTrace?: unknown };
  try {
    mod = (await import(spec)) as typeof mod;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('gen/index.js')) mod = {};
    else throw e;
  }
  if (typeof mod.generateFromTrace !== 'function') throw new TraceForgeError('E_GEN', 'test generation is not available yet');
  const generate = mod.generateFromTrace as (t: Trace, o: { cwd: string }) => Promise<unknown>;
  return writtenPaths(await generate(trace, { cwd: process.cwd() }));
};

/**
 * `traceforge trace view [ID|PREFIX]`: the blessed view on a terminal, the same labels as plain text with
 * `--text` or when piped. Without an id: the list as a browser (or the table when not on a terminal).
 */
export async function run(ctx: CommandContext): Promise<number> {
  const dir = typeof ctx.opts.traces === 'string' ? ctx.opts.traces : DEFAULT_TRACES_DIR;
  const store = createTraceStore(dir);
  const id = ctx.args[0];
  const tui = !ctx.opts.text && process.stdout.isTTY === true && process.stdin.isTTY === true;
  const st = styleFor(process.stdout);

  if (id === undefined) {
    const { rows } = await listTraces(dir);
    if (tui) {
      const { runBrowserTui } = await import('../../tui/app.js');
      return runBrowserTui(rows, { dir, load: (row) => store.loadForView(row.file), onGenerate: generateHook });
    }
    if (rows.length === 0) {
      process.stdout.write(`No traces in ${dir}. Record some with \`traceforge record --upstream URL\`, or run \`traceforge demo\`.\n`);
      return 0;
    }
    const { header, lines } = renderTable(filterRows(rows, {}), st);
    const note = synthesizedNote(rows);
    process.stdout.write(`${header}\n${lines.join('\n')}\n${note ? `${st.dim(note)}\n` : ''}\nOpen one with \`traceforge trace view <id>\`.\n`);
    return 0;
  }

  // Over TRACEFORGE_WINDOW_BYTES this is a window of the chunks with totals streamed over all of them.
  const { trace, window } = await store.loadForView(id);
  if (tui) {
    const { runTraceViewTui } = await import('../../tui/app.js');
    return runTraceViewTui(trace, { onGenerate: generateHook, window });
  }
  process.stdout.write(renderTextView(buildViewModel(trace, window), st, process.stdout.columns ?? 100));
  return 0;
}
