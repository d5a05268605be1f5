import { colorsFor } from '../color.js';
import { upgradeTraces } from '../../store/trace-upgrade.js';
import type { CommandContext } from '../command.js';
import type { TraceUpgradeOptions } from '../command-table.js';
import { EXIT_FAIL, EXIT_OK } from '../errors.js';

/** `traceforge trace upgrade <file|dir> [--dry-run] [--no-backup]`: one line per file, a count, exit 1 if any file failed. */
export async function run({ args, opts, io }: CommandContext<TraceUpgradeOptions>): Promise<number> {
  const path = args[0]!;
  const dryRun = opts['dry-run'];
  const pc = colorsFor(io.stdout, io.env);
  const err = colorsFor(io.stderr, io.env);
  const results = await upgradeTraces(path, { dryRun, backup: opts.backup });
  for (const r of results) {
    if (r.status === 'failed') io.stderr.write(`${err.red('traceforge:')} ${r.message}\n`);
    else io.stdout.write(`${r.status === 'current' ? pc.dim(r.message) : r.message}\n`);
  }
  const n = (s: string) => results.filter((r) => r.status === s).length;
  if (results.length === 0) io.stdout.write(`no .json files in ${path}: nothing to upgrade\n`);
  else io.stdout.write(`${dryRun ? `would upgrade ${n('would-upgrade')} (dry run, nothing written)` : `upgraded ${n('upgraded')}`}, already current ${n('current')}, failed ${n('failed')}\n`);
  return n('failed') > 0 ? EXIT_FAIL : EXIT_OK;
}
