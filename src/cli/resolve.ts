import { commandName, type CommandSpec } from './command.js';

/** What the words on the command line name. */
export type Resolution =
  /** No command word (only flags such as --help or --version). */
  | { kind: 'none' }
  /** A command group's own help (`trace --help`): its subcommands. */
  | { kind: 'group-help'; text: string }
  /** A command, and where its words are in the arguments. */
  | { kind: 'command'; spec: CommandSpec; at: number[] }
  /** A usage error; `help` is the command whose help lists the way out (`trace`), none for the top level. */
  | { kind: 'error'; message: string; help?: string };

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = here;
    }
  }
  return row[b.length]!;
}

/** The choice within a few edits of `word`, nearest first; undefined when none is that close. */
export const closest = (word: string, choices: string[]): string | undefined =>
  choices.map((c) => ({ c, d: distance(word, c) })).filter((x) => x.d <= Math.max(2, Math.floor(x.c.length / 3))).sort((x, y) => x.d - y.d)[0]?.c;

/**
 * Find the command the arguments name. A misspelt command gets a suggestion, a command group such as
 * `trace` given alone says it needs a subcommand, and `trace --help` lists the subcommands. `help` is
 * whether --help was given: no command is then fine (the top-level help). Usage errors are returned, with
 * the help that answers them.
 */
export function resolveCommand(args: string[], commands: readonly CommandSpec[], help: boolean): Resolution {
  const first = args.findIndex((a) => !a.startsWith('-'));
  if (first < 0) {
    if (help || args.some((a) => /^(?:-v|--version)$/.test(a))) return { kind: 'none' };
    return { kind: 'error', message: `no command given: ${[...new Set(commands.map((c) => c.usage.split(' ')[0]))].join(', ')}; run \`traceforge --help\` for what each does` };
  }
  const word = args[first]!;
  const usages = commands.map((c) => commandName(c).split(' '));
  const groups = [...new Set(usages.map((u) => u[0]!))];
  if (!groups.includes(word)) {
    const guess = closest(word, groups);
    // The usage hint follows on its own line (reportError), naming --help once.
    return { kind: 'error', message: `unknown command "${word}"${guess ? `; did you mean "${guess}"?` : '.'}` };
  }
  const subs = usages.filter((u) => u[0] === word && u.length > 1).map((u) => u[1]!);
  if (subs.length === 0) return { kind: 'command', spec: commands[usages.findIndex((u) => u[0] === word)]!, at: [first] };
  const second = args[first + 1];
  if (second === undefined) return { kind: 'error', help: word, message: `\`traceforge ${word}\` needs a subcommand: ${subs.join(', ')} (e.g. \`traceforge ${word} ${subs[0]}\`)` };
  if (second === '--help' || second === '-h') {
    const text =
      `Usage: traceforge ${word} <${subs.join('|')}> [options]\n\n` +
      commands
        .filter((c) => c.usage.startsWith(`${word} `))
        .map((c) => `  ${c.usage.padEnd(24)} ${c.describe.split('. ')[0]!.replace(/\.$/, '')}\n`)
        .join('') +
      `\nRun \`traceforge ${word} <${subs[0]}> --help\` for the options of one.\n`;
    return { kind: 'group-help', text };
  }
  if (subs.includes(second)) return { kind: 'command', spec: commands[usages.findIndex((u) => u[0] === word && u[1] === second)]!, at: [first, first + 1] };
  const guess = second.startsWith('-') ? undefined : closest(second, subs);
  return {
    kind: 'error',
    help: word,
    message: second.startsWith('-')
      ? `\`traceforge ${word}\` needs a subcommand before its options: ${subs.join(', ')} (e.g. \`traceforge ${word} ${subs[0]} ${second}\`)`
      : `unknown command "${word} ${second}"${guess ? `; did you mean "${word} ${guess}"?` : ''} Subcommands: ${subs.join(', ')}`,
  };
}
