import type { CliIO } from './io.js';
import type { OptionSpec, OptionsOf } from './options.js';

/** What a command's run() gets. Commands return their exit code and write only through `io`. */
export interface CommandContext<O> {
  /** Positional arguments, in usage order; a required one is always there. */
  args: Array<string | undefined>;
  /** The flags, typed from the command's option table. */
  opts: O;
  /** Everything after a literal `--` (the command `record` and `sweep` run). */
  rest: string[];
  /** --debug: stack traces for errors, the proxy's own logging. */
  debug: boolean;
  io: CliIO;
}

/** One command: the help text, the flags, and the module that runs it, loaded only when it runs. */
export interface CommandSpec<T extends readonly OptionSpec[] = readonly OptionSpec[]> {
  /** `trace diff <a> <b>`: the command words, then `<required>` and `[optional]` arguments. */
  usage: string;
  describe: string;
  options: T;
  examples?: readonly string[];
  // A method, so a table of commands with different options can be one array.
  load(): Promise<{ run(ctx: CommandContext<OptionsOf<T>>): Promise<number> }>;
}

/** Ties a command's options to its run(): the type checker refuses a run() that takes other options than the table gives. */
export const defineCommand = <const T extends readonly OptionSpec[]>(spec: CommandSpec<T>): CommandSpec<T> => spec;

/** `trace view [id]` -> `trace view`. */
export const commandName = (spec: CommandSpec): string => spec.usage.split(/\s+/).filter((w) => !/^[<[]/.test(w)).join(' ');
