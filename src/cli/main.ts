import { readFileSync } from 'node:fs';
import sade from 'sade';
import { TraceForgeError } from '../errors.js';
import { commandName, type CommandSpec } from './command.js';
import { COMMANDS, GLOBAL_OPTIONS } from './command-table.js';
import { EXIT_OK, reportError } from './errors.js';
import { commandHelp, topHelp } from './help.js';
import { processIO, type CliIO } from './io.js';
import { optionName, typedOptions, type OptionSpec } from './options.js';
import { closest, resolveCommand } from './resolve.js';

const BIN = 'traceforge';

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * Run the CLI with `argv` as process.argv has it (`node traceforge trace list`) and return the exit code.
 * Everything goes through `io` (bin.ts passes the process's own), so tests call this in-process.
 *
 * @example
 * const code = await main(['node', 'traceforge', 'trace', 'list', '--json'], { ...processIO(), stdout: captured });
 */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const args = argv.slice(2);
  const dash = args.indexOf('--');
  const own = joinNegativeValues(dash >= 0 ? args.slice(0, dash) : args);
  const rest = dash >= 0 ? args.slice(dash + 1) : [];
  const debug = own.includes('--debug');
  // The command whose help a usage error points at; the top level until one is known.
  let helpOf: string | undefined;
  try {
    const help = own.some((a) => a === '--help' || a.startsWith('--help=') || shortFlags(a).includes('h'));
    const resolved = resolveCommand(own, COMMANDS, help);
    if (resolved.kind === 'error') {
      helpOf = resolved.help;
      throw new TraceForgeError('E_USAGE', resolved.message);
    }
    if (resolved.kind === 'group-help') {
      io.stdout.write(resolved.text);
      return EXIT_OK;
    }
    if (help) {
      io.stdout.write(resolved.kind === 'command' ? commandHelp(BIN, resolved.spec, GLOBAL_OPTIONS) : topHelp(BIN, COMMANDS, GLOBAL_OPTIONS));
      return EXIT_OK;
    }
    if (own.some((a) => a === '--version' || a.startsWith('--version=') || shortFlags(a).includes('v'))) {
      io.stdout.write(`${BIN}, ${readVersion()}\n`);
      return EXIT_OK;
    }
    if (resolved.kind === 'none') throw new TraceForgeError('E_USAGE', 'no command given');
    const spec = resolved.spec;
    helpOf = commandName(spec);
    if (dash >= 0 && rest.length === 0) {
      throw new TraceForgeError('E_USAGE', 'nothing after `--`: give the command to run (e.g. `-- node app.js`), or leave `--` out');
    }
    // The command's words first, where sade looks for them, whatever came before them.
    const words = resolved.at.map((i) => own[i]!);
    const { args: positional, opts: raw } = parseFlags(spec, [...words, ...own.filter((_, i) => !resolved.at.includes(i))]);
    const unknown = unknownFlags(spec, raw);
    if (unknown.length > 0) {
      const flags = [...spec.options, ...GLOBAL_OPTIONS].map((o) => o.flag.slice(2));
      const guess = unknown.length === 1 ? closest(unknown[0]!, flags) : undefined;
      throw new TraceForgeError('E_USAGE', `unknown option ${unknown.map((f) => `--${f}`).join(', ')} for \`traceforge ${commandName(spec)}\`${guess ? `; did you mean --${guess}?` : ''}`);
    }
    const opts = typedOptions(spec.options, raw);
    const required = spec.usage.split(/\s+/).filter((w) => !/^[<[]/.test(w) || w.startsWith('<')).slice(words.length);
    const missing = required.filter((_, i) => positional[i] === undefined);
    if (missing.length > 0) throw new TraceForgeError('E_USAGE', `\`traceforge ${commandName(spec)}\` needs ${missing.join(' ')} (usage: traceforge ${spec.usage} [options])`);
    const mod = await spec.load();
    return await mod.run({ args: positional, opts, rest, debug, io });
  } catch (e) {
    return reportError(e, io, debug, helpOf);
  }
}

/** `-hv` -> `hv`; '' for anything that is not a cluster of short flags. */
const shortFlags = (arg: string): string => (/^-[^-]/.test(arg) ? arg.slice(1).split('=')[0]! : '');

/**
 * The positional arguments and raw flags of `args` (the command's words first), parsed by sade from the
 * table: flags that take a value are read as strings (`--model 007` stays "007"), boolean flags never take
 * the next word, defaults come from the table. sade exits the process on a usage error of its own; it is
 * only given arguments that cannot cause one: the command is known, --help and --version were answered
 * above, and every positional argument is registered as optional (main checks the required ones).
 */
function parseFlags(spec: CommandSpec, args: string[]): { args: Array<string | undefined>; opts: Record<string, unknown> } {
  const globals: readonly OptionSpec[] = GLOBAL_OPTIONS;
  const options = [...spec.options, ...globals];
  const prog = sade(BIN);
  for (const o of globals) prog.option(o.flag, o.description, o.default);
  prog.command(spec.usage.replace(/<([^>]+)>/g, '[$1]'), spec.describe);
  for (const o of spec.options) prog.option(o.flag, o.description, o.default);
  const names = (pick: (o: OptionSpec) => boolean) => [...new Set(options.filter(pick).map(optionName))];
  const parsed = prog.parse(['node', BIN, ...args], {
    lazy: true,
    string: names((o) => o.type !== 'boolean'),
    boolean: names((o) => o.type === 'boolean' && !o.flag.startsWith('--no-')),
  });
  if (!parsed) throw new Error(`sade parsed \`${args.join(' ')}\` as a request for help; this is a bug in traceforge's argument checks`);
  const values = parsed.args as unknown[];
  return { args: values.slice(0, -1) as Array<string | undefined>, opts: values.at(-1) as Record<string, unknown> };
}

/**
 * `--port -1` would be read as a flag `-1` ("unknown option --1"); no flag is a number, so a negative
 * number after a long option is that option's value, and its own check can say what is wrong with it.
 */
function joinNegativeValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    if (/^--[a-z][\w-]*$/.test(a) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

function unknownFlags(spec: CommandSpec, opts: Record<string, unknown>): string[] {
  // sade lists every registered flag under its own name too (`no-backup`, unset).
  const known = new Set(['_', ...[...spec.options, ...GLOBAL_OPTIONS].flatMap((o) => [optionName(o), o.flag.slice(2)])]);
  return Object.keys(opts).filter((k) => !known.has(k));
}
