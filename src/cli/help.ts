import type { CommandSpec } from './command.js';
import type { OptionSpec } from './options.js';

/**
 * The help text, in sade's layout (the snapshots in test/cli/help were first taken from sade's own
 * output). Written here because sade prints its help with console.log, which a caller cannot redirect.
 */

type Row = readonly [string, string, (string | number | boolean)?];

const HELP_ROW: Row = ['-h, --help', 'Displays this message'];
const VERSION_ROW: Row = ['-v, --version', 'Displays current version'];

/** Two columns: the first padded to the widest plus four, then `(default X)` when there is one. */
function table(rows: readonly Row[]): string[] {
  const width = Math.max(...rows.map((r) => r[0].length)) + 4;
  return rows.map(([left, right, dflt]) => `${left}${' '.repeat(width - left.length)}${right}${dflt === undefined ? '' : `  (default ${String(dflt)})`}`);
}

function section(title: string, lines: readonly string[]): string {
  return lines.length === 0 ? '' : `\n  ${title}${lines.map((l) => `\n    ${l}`).join('')}\n`;
}

/** One sentence per line, split where sade splits a description: after `.`, `?` or `!` followed by a capital. */
const sentences = (text: string): string[] => text.replace(/([.?!])\s*(?=[A-Z])/g, '$1|').split('|');

const optionRows = (options: readonly OptionSpec[]): Row[] => options.map((o) => [o.flag, o.description, o.default]);

/** `traceforge --help`. */
export function topHelp(bin: string, commands: readonly CommandSpec[], globals: readonly OptionSpec[]): string {
  const names = commands.map((c) => c.usage.split(/\s+/).filter((w) => !/^[<[]/.test(w)).join(' '));
  return (
    section('Usage', [`$ ${bin} <command> [options]`]) +
    section('Available Commands', table(commands.map((c, i) => [names[i]!, sentences(c.describe)[0]!]))) +
    `\n  For more info, run any command with the \`--help\` flag${names
      .slice(0, 2)
      .map((n) => `\n    $ ${bin} ${n} --help`)
      .join('')}\n` +
    section('Options', table([...optionRows(globals), VERSION_ROW, HELP_ROW])) +
    '\n'
  );
}

/** `traceforge <command> --help`. */
export function commandHelp(bin: string, spec: CommandSpec, globals: readonly OptionSpec[]): string {
  const example = (e: string) => `$ ${bin} ${e}`.replace(/\s+/g, ' ');
  return (
    section('Description', sentences(spec.describe)) +
    section('Usage', [example(`${spec.usage} [options]`)]) +
    section('Options', table([...optionRows(spec.options), ...optionRows(globals), HELP_ROW])) +
    section('Examples', (spec.examples ?? []).map(example)) +
    '\n'
  );
}
