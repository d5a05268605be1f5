import { TraceForgeError } from '../../errors.js';
import { listTraces, uniquePrefixLength } from '../../store/trace-index.js';
import { windowBytes } from '../../store/trace-store.js';
import { filterRows, jsonRow, renderTable, synthesizedNote, type ListFilter } from '../../tui/list-table.js';
import { styleFor } from '../../tui/style.js';
import { safeJson, visible } from '../../util/visible.js';
import type { CommandContext } from '../command.js';
import type { TraceListOptions } from '../command-table.js';

/** Turn the list flags into a filter. */
function listFilter(opts: Pick<TraceListOptions, 'stream' | 'normal' | 'model' | 'limit'>): ListFilter {
  if (opts.stream && opts.normal) throw new TraceForgeError('E_USAGE', '--stream and --normal exclude each other: pass one of them, or neither for all traces');
  const f: ListFilter = {};
  if (opts.stream) f.stream = true;
  if (opts.normal) f.stream = false;
  if (opts.model !== undefined) f.model = opts.model;
  if (opts.limit !== undefined) f.limit = opts.limit;
  return f;
}

/** `traceforge trace list`: newest first, as a table or (`--json`) one JSON array. */
export async function run({ opts, io }: CommandContext<TraceListOptions>): Promise<number> {
  const filter = listFilter(opts);
  const dir = opts.traces;
  const { rows: all, problems } = await listTraces(dir, { wholeLimitBytes: windowBytes(io.env) });
  const rows = filterRows(all, filter);
  for (const p of problems.slice(0, 5)) io.stderr.write(`traceforge: skipped ${visible(p.file, '')}: ${visible(p.message, '')}\n`);
  if (problems.length > 5) io.stderr.write(`traceforge: skipped ${problems.length - 5} more unreadable trace files\n`);

  const allIds = all.map((r) => r.id);
  if (opts.json) {
    const shortLen = uniquePrefixLength(allIds);
    io.stdout.write(`${safeJson(rows.map((r) => jsonRow(r, shortLen)), 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    io.stdout.write(
      all.length === 0
        ? `No traces in ${dir}. Record some with \`traceforge record --upstream URL\`, or run \`traceforge demo\`.\n`
        : `No traces match the filter (${all.length} in ${dir}).\n`,
    );
    return 0;
  }
  const st = styleFor(io.stdout, io.env);
  const { header, lines } = renderTable(rows, st, allIds, io.stdout.isTTY ? (io.stdout.columns ?? Infinity) : Infinity);
  io.stdout.write(`${header}\n${lines.join('\n')}\n`);
  const note = synthesizedNote(rows);
  if (note) io.stdout.write(`${st.dim(note)}\n`);
  const hidden = all.length - rows.length;
  if (hidden > 0 && io.stdout.isTTY) io.stdout.write(st.dim(`${rows.length} of ${all.length} traces shown\n`));
  return 0;
}
