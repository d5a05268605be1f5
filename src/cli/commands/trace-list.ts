import { TraceForgeError } from '../../errors.js';
import { listTraces, uniquePrefixLength } from '../../store/trace-index.js';
import { DEFAULT_TRACES_DIR } from '../../store/trace-store.js';
import { filterRows, jsonRow, renderTable, synthesizedNote, type ListFilter } from '../../tui/list-table.js';
import { styleFor } from '../../tui/style.js';
import { safeJson, visible } from '../../util/visible.js';
import type { CommandContext } from '../main.js';
import { optionalString, parseWhole } from '../options.js';

/** Turn the list flags into a filter; shared with `trace view` (the browser). */
export function listFilter(opts: Record<string, unknown>): ListFilter {
  if (opts.stream && opts.normal) throw new TraceForgeError('E_USAGE', '--stream and --normal exclude each other: pass one of them, or neither for all traces');
  const f: ListFilter = {};
  if (opts.stream) f.stream = true;
  if (opts.normal) f.stream = false;
  const model = optionalString(opts.model, '--model');
  if (model !== undefined) f.model = model;
  const limit = parseWhole(opts.limit, '--limit', 1);
  if (limit !== undefined) f.limit = limit;
  return f;
}

/** `traceforge trace list`: newest first, as a table or (`--json`) one JSON array. */
export async function run(ctx: CommandContext): Promise<number> {
  const filter = listFilter(ctx.opts);
  const dir = typeof ctx.opts.traces === 'string' ? ctx.opts.traces : DEFAULT_TRACES_DIR;
  const { rows: all, problems } = await listTraces(dir);
  const rows = filterRows(all, filter);
  for (const p of problems.slice(0, 5)) process.stderr.write(`traceforge: skipped ${visible(p.file, '')}: ${visible(p.message, '')}\n`);
  if (problems.length > 5) process.stderr.write(`traceforge: skipped ${problems.length - 5} more unreadable trace files\n`);

  const allIds = all.map((r) => r.id);
  if (ctx.opts.json) {
    const shortLen = uniquePrefixLength(allIds);
    process.stdout.write(`${safeJson(rows.map((r) => jsonRow(r, shortLen)), 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    process.stdout.write(
      all.length === 0
        ? `No traces in ${dir}. Record some with \`traceforge record --upstream URL\`, or run \`traceforge demo\`.\n`
        : `No traces match the filter (${all.length} in ${dir}).\n`,
    );
    return 0;
  }
  const st = styleFor(process.stdout);
  const { header, lines } = renderTable(rows, st, allIds, process.stdout.isTTY ? (process.stdout.columns ?? Infinity) : Infinity);
  process.stdout.write(`${header}\n${lines.join('\n')}\n`);
  const note = synthesizedNote(rows);
  if (note) process.stdout.write(`${st.dim(note)}\n`);
  const hidden = all.length - rows.length;
  if (hidden > 0 && process.stdout.isTTY) process.stdout.write(st.dim(`${rows.length} of ${all.length} traces shown\n`));
  return 0;
}
