import { readFileSync } from 'node:fs';
import sade from 'sade';
import { TraceForgeError } from '../errors.js';
import { DEFAULT_TRACES_DIR } from '../store/trace-store.js';
import { EXIT_OK, EXIT_USAGE, reportError } from './errors.js';

/** What a command module exports. Commands return their exit code; only this layer exits. */
export interface CommandContext {
  /** Positional arguments, in usage order. */
  args: Array<string | undefined>;
  /** Parsed flags. */
  opts: Record<string, unknown>;
  /** Everything after a literal `--` (record's child command). */
  rest: string[];
}
export type CommandRun = (ctx: CommandContext) => Promise<number>;

/**
 * One flag of a command. The type decides how it is parsed: `boolean` never takes the next word as its
 * value (`--json CASSETTE` keeps the cassette); `string` and `number` need a value (numbers are checked by
 * the command, which knows their range); `strings` may be given several times and always arrives as an array.
 */
interface OptionSpec {
  flag: `--${string}`;
  type: 'string' | 'strings' | 'number' | 'boolean';
  description: string;
  /** Shown in the help and used when the flag is absent. */
  default?: string | number | boolean;
}

interface CommandSpec {
  usage: string;
  describe: string;
  module: string;
  options?: OptionSpec[];
  examples?: string[];
}

// Every command that reads or writes traces takes the same flag with the same default.
const TRACES_OPTION: OptionSpec = { flag: '--traces', type: 'string', description: 'Directory for trace files', default: DEFAULT_TRACES_DIR };

// The recorder and the replay server bound idle and slow connections the same way.
const HEADERS_TIMEOUT_OPTION: OptionSpec = { flag: '--headers-timeout', type: 'number', description: 'Close a connection whose request headers have not all arrived this many ms after it opened (idle and slowloris sockets)', default: 10000 };

// One table for every command: the help text, the flags and the lazily loaded implementation.
const COMMANDS: CommandSpec[] = [
  {
    usage: 'record',
    describe: 'Run the recording proxy: forward calls to the provider and write a trace per call as it ends. With `-- cmd`, run cmd against it and exit with its code. Ctrl-C stops it after calls in flight finish (up to 5 s); Ctrl-C again cuts them, saved as partial (outcome recorder_shutdown). A call that had finished is never lost.',
    module: './commands/record.js',
    options: [
      { flag: '--upstream', type: 'string', description: 'Send every call to this base URL instead of routing by provider (e.g. http://localhost:8000)' },
      { flag: '--openai', type: 'string', description: 'Base URL for OpenAI calls', default: 'https://api.openai.com' },
      { flag: '--anthropic', type: 'string', description: 'Base URL for Anthropic calls', default: 'https://api.anthropic.com' },
      { flag: '--gemini', type: 'string', description: 'Base URL for Gemini calls', default: 'https://generativelanguage.googleapis.com' },
      { flag: '--ollama', type: 'string', description: 'Base URL for Ollama calls', default: 'http://localhost:11434' },
      { flag: '--https-proxy', type: 'boolean', description: 'Also act as an HTTPS proxy (HTTPS_PROXY) with a local CA kept in .ai-tests/ca' },
      { flag: '--allow-host', type: 'strings', description: 'Without --upstream, also forward calls the app sends through the recorder as a proxy (HTTP_PROXY, HTTPS_PROXY, a Host header) to HOST or HOST:PORT; other hosts than the providers\' and the ones you named get a 403 (repeatable)' },
      { flag: '--port', type: 'number', description: 'Port to listen on, 0 picks a free one (default 8787; a free one with -- cmd)' },
      { flag: '--host', type: 'string', description: 'Interface to bind', default: '127.0.0.1' },
      { flag: '--cassette', type: 'string', description: 'Also append each call to this YAML cassette (one write at its end, whatever its size)' },
      TRACES_OPTION,
      { flag: '--redact-header', type: 'strings', description: 'Also treat this header as a secret: its value is never written (repeatable)' },
      { flag: '--redact-field', type: 'strings', description: 'Also treat this JSON body, form or query field as a secret (repeatable)' },
      HEADERS_TIMEOUT_OPTION,
    ],
    examples: [
      'record',
      'record --redact-header x-internal-token --redact-field session_id',
      'record --ollama http://gpu-box:11434 --cassette fixtures/chat.yaml',
      'record --cassette fixtures/chat.yaml -- node app.js',
      'record --https-proxy -- python app.py',
      'record --upstream http://localhost:8000',
    ],
  },
  {
    usage: 'replay <cassette>',
    describe: 'Serve a cassette: same status, headers and bytes, each chunk at its recorded time. No network, no API key.',
    module: './commands/replay.js',
    options: [
      { flag: '--port', type: 'number', description: 'Port to listen on (0 picks a free one)', default: 8788 },
      { flag: '--host', type: 'string', description: 'Interface to bind', default: '127.0.0.1' },
      { flag: '--speed', type: 'number', description: 'Playback speed: 1 recorded pace, 2 twice as fast, 0 instant', default: 1 },
      HEADERS_TIMEOUT_OPTION,
      { flag: '--fault', type: 'strings', description: 'Inject a fault (repeatable): drop-after=N, stall=K:MS, status=CODE[:RETRY_AFTER], error-event=N, truncate-json=N; chunks count from 1, @N limits it to the n-th request' },
    ],
    examples: ['replay fixtures/chat.yaml', 'replay fixtures/chat.yaml --speed 0 --port 0', 'replay fixtures/chat.yaml --fault drop-after=3', 'replay fixtures/chat.yaml --fault status=429:2@1 --fault stall=5:3000'],
  },
  {
    usage: 'sweep <cassette>',
    describe:
      'Run a command once without a fault, then once per fault at every meaningful point of the recorded stream (before the first byte, after the first content, inside tool arguments, between blocks, before the finish and the terminator, after usage, and evenly spaced), each against its own replay server (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, OLLAMA_HOST, TRACEFORGE_REPLAY_URL and TRACEFORGE_FAULTS set for it). Prints which faults the command does not survive and the smallest failing case per kind. Exit 0 all pass, 1 one fails (or the clean run fails), 2 usage.',
    module: './commands/sweep.js',
    options: [
      { flag: '--kinds', type: 'string', description: 'Fault kinds, comma-separated: status, drop-after, truncate-json, error-event, stall (default all)' },
      { flag: '--budget', type: 'number', description: 'Positions per kind: meaningful ones first, then evenly spaced (default 16)' },
      { flag: '--jobs', type: 'number', description: 'Runs at once (default: the number of cores)' },
      { flag: '--speed', type: 'number', description: 'Replay speed: 1 recorded pace, 0 instant', default: 1 },
      { flag: '--stall-ms', type: 'number', description: 'How long a stall fault holds the stream (default 5000)' },
      { flag: '--interaction', type: 'number', description: 'Which interaction of the cassette to break, from 1 (default: the first streamed one)' },
      { flag: '--request', type: 'number', description: 'Which request the fault applies to, from 1 (default: that interaction\'s number); others get the recording' },
      { flag: '--timeout', type: 'number', description: 'Kill a run after this many ms and count it failed (default: from the clean run\'s time)' },
      { flag: '--json', type: 'boolean', description: 'Print the results as JSON instead of a table', default: false },
    ],
    examples: ['sweep fixtures/chat.yaml -- node app.js', 'sweep fixtures/chat.yaml --kinds drop-after,truncate-json --budget 8 -- npx vitest run test/chat.test.ts', 'sweep fixtures/chat.yaml --json --jobs 2 -- node app.js'],
  },
  {
    usage: 'trace list',
    describe: 'List recorded traces, newest first.',
    module: './commands/trace-list.js',
    options: [
      { flag: '--json', type: 'boolean', description: 'Print a JSON array instead of a table' },
      { flag: '--stream', type: 'boolean', description: 'Only streaming calls' },
      { flag: '--normal', type: 'boolean', description: 'Only non-streaming calls' },
      { flag: '--model', type: 'string', description: 'Only calls to this model' },
      { flag: '--limit', type: 'number', description: 'Show at most N traces' },
      TRACES_OPTION,
    ],
  },
  {
    usage: 'trace view [id]',
    describe: 'Open a trace (id or unique prefix) in the terminal UI; plain text with --text or when piped.',
    module: './commands/trace-view.js',
    options: [
      { flag: '--text', type: 'boolean', description: 'Print plain text instead of opening the UI' },
      { flag: '--json', type: 'boolean', description: 'Print what the view shows as JSON: metadata, timing figures over the chunks, and the response summary (text, tool calls, finish reason, usage)' },
      TRACES_OPTION,
    ],
  },
  {
    usage: 'trace diff <a> <b>',
    describe: 'Compare two traces: request, response and timing.',
    module: './commands/trace-diff.js',
    options: [
      { flag: '--text', type: 'boolean', description: 'Print plain text instead of opening the UI' },
      { flag: '--json', type: 'boolean', description: 'Print the comparison as JSON: request fields, response and timing rows, each with both sides' },
      TRACES_OPTION,
    ],
  },
  {
    usage: 'trace upgrade <path>',
    describe:
      'Rewrite traces written by the first TraceForge (schema "1.0.0") in the current schema. PATH is a trace file or a directory (its *.json files). Each file is replaced in place, after its original is copied to <file>.bak; both writes are atomic. Files already current are left alone, and a file that cannot be converted is reported and left as it was (exit 1). Optional: list, view, diff, gen and replay read old traces as they are.',
    module: './commands/trace-upgrade.js',
    options: [
      { flag: '--dry-run', type: 'boolean', description: 'Say what would be done; write nothing' },
      { flag: '--no-backup', type: 'boolean', description: 'Do not keep the originals as <file>.bak' },
    ],
    examples: ['trace upgrade .ai-tests/traces --dry-run', 'trace upgrade .ai-tests/traces', 'trace upgrade .ai-tests/traces/7c9e6679f4a1.json --no-backup'],
  },
  {
    usage: 'gen <id>',
    describe: 'Turn a trace into a cassette plus a vitest file that replays it and asserts on it.',
    module: './commands/gen.js',
    options: [
      { flag: '--out', type: 'string', description: 'Test file to write (default test/<slug>.test.ts)' },
      { flag: '--cassette', type: 'string', description: 'Cassette to write (default fixtures/<slug>.yaml)' },
      { flag: '--template', type: 'string', description: 'openai | openai-responses | anthropic | fetch (default: from the provider)' },
      { flag: '--timing', type: 'string', description: 'recorded | instant', default: 'instant' },
      { flag: '--force', type: 'boolean', description: 'Overwrite existing files' },
      TRACES_OPTION,
    ],
  },
  {
    usage: 'demo',
    describe: 'Record and replay against a built-in simulated upstream: the whole loop, no API key needed.',
    module: './commands/demo.js',
    options: [{ flag: '--speed', type: 'number', description: 'Replay speed for the demo', default: 1 }],
  },
];

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Build the sade program; exported so tests can check parsing and help text in-process. */
export function createProgram(onRun: (spec: CommandSpec, ctx: Omit<CommandContext, 'rest'>) => void) {
  const prog = sade('traceforge').version(readVersion());
  prog.option('--debug', 'Print stack traces for errors');
  for (const spec of COMMANDS) {
    prog.command(spec.usage, spec.describe);
    for (const o of spec.options ?? []) prog.option(o.flag, o.description, o.default);
    for (const ex of spec.examples ?? []) prog.example(ex);
    const positional = spec.usage.split(/\s+/).filter((w) => w.startsWith('<') || w.startsWith('['));
    prog.action((...values: unknown[]) => {
      const opts = values[positional.length] as Record<string, unknown>;
      onRun(spec, { args: values.slice(0, positional.length) as Array<string | undefined>, opts });
    });
  }
  return prog;
}

class SadeExit extends Error {}

/** `trace view [id]` -> `trace view`. */
const commandName = (spec: CommandSpec): string => spec.usage.split(/\s+/).filter((w) => !/^[<[]/.test(w)).join(' ');

/** Run the CLI; returns the exit code instead of exiting so tests can call it in-process. */
export async function main(argv: string[]): Promise<number> {
  const dash = argv.indexOf('--', 2);
  const own = joinNegativeValues(dash >= 0 ? argv.slice(0, dash) : argv);
  const rest = dash >= 0 ? argv.slice(dash + 1) : [];
  const debug = own.includes('--debug');
  let picked: { spec: CommandSpec; ctx: Omit<CommandContext, 'rest'> } | undefined;
  const prog = createProgram((spec, ctx) => {
    picked = { spec, ctx };
  });
  // sade reports usage errors by calling process.exit(1); turn that into our usage exit code.
  const realExit = process.exit;
  process.exit = ((code?: number) => {
    throw new SadeExit(String(code ?? 0));
  }) as typeof process.exit;
  try {
    if (dash >= 0 && rest.length === 0) {
      throw new TraceForgeError('E_USAGE', 'nothing after `--`: give the command to run (e.g. `-- node app.js`), or leave `--` out');
    }
    const problem = commandProblem(own.slice(2));
    if (problem?.help) {
      process.stdout.write(problem.help);
      return EXIT_OK;
    }
    if (problem) throw new TraceForgeError('E_USAGE', problem.error!);
  } catch (e) {
    return reportError(e, debug);
  }
  try {
    // From the table: flags that take a value are read as strings (`--model 007` stays "007"), and
    // boolean flags never take the next word as their value.
    const options = COMMANDS.flatMap((c) => c.options ?? []);
    const names = (pick: (o: OptionSpec) => boolean) => [...new Set(options.filter(pick).map(optionName))];
    prog.parse(own, { string: names((o) => o.type !== 'boolean'), boolean: names((o) => o.type === 'boolean' && !o.flag.startsWith('--no-')) });
  } catch (e) {
    if (e instanceof SadeExit) return Number(e.message) === 0 ? EXIT_OK : EXIT_USAGE;
    return reportError(e, debug);
  } finally {
    process.exit = realExit;
  }
  if (!picked) return EXIT_OK; // --help or --version was printed
  try {
    const unknown = unknownFlags(picked.spec, picked.ctx.opts);
    picked.ctx.opts = typedOptions(picked.spec, picked.ctx.opts);
    if (unknown.length > 0) {
      throw new TraceForgeError('E_USAGE', `unknown option ${unknown.map((f) => `--${f}`).join(', ')} for \`traceforge ${commandName(picked.spec)}\``);
    }
    const mod = (await import(picked.spec.module)) as { run: CommandRun };
    return await mod.run({ ...picked.ctx, rest });
  } catch (e) {
    return reportError(e, debug, commandName(picked.spec));
  }
}

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

const closest = (word: string, choices: string[]): string | undefined =>
  choices.map((c) => ({ c, d: distance(word, c) })).filter((x) => x.d <= Math.max(2, Math.floor(x.c.length / 3))).sort((x, y) => x.d - y.d)[0]?.c;

/**
 * What sade would answer with a boxed "Invalid command": a misspelt command (with a suggestion), and a
 * command group such as `trace` given alone or with `--help` (its subcommands are listed instead).
 */
function commandProblem(args: string[]): { error?: string; help?: string } | undefined {
  const words = args.filter((a) => !a.startsWith('-'));
  const first = words[0];
  if (first === undefined) {
    if (args.some((a) => /^(?:-h|--help|-v|--version)$/.test(a))) return undefined;
    return { error: `no command given: ${[...new Set(COMMANDS.map((c) => c.usage.split(' ')[0]))].join(', ')}; run \`traceforge --help\` for what each does` };
  }
  const usages = COMMANDS.map((c) => c.usage.split(/\s+/).filter((w) => !/^[<[]/.test(w)));
  const groups = [...new Set(usages.map((u) => u[0]!))];
  if (!groups.includes(first)) {
    const guess = closest(first, groups);
    return { error: `unknown command "${first}"${guess ? `; did you mean "${guess}"?` : ''} Run \`traceforge --help\` for the list` };
  }
  const subs = usages.filter((u) => u[0] === first && u.length > 1).map((u) => u[1]!);
  if (subs.length === 0) return missingArguments(args, COMMANDS[usages.findIndex((u) => u[0] === first)]!);
  if (args.indexOf(first) !== args.findIndex((a) => !a.startsWith('-'))) return undefined;
  const second = args[args.indexOf(first) + 1];
  const list = () =>
    `Usage: traceforge ${first} <${subs.join('|')}> [options]\n\n` +
    COMMANDS.filter((c) => c.usage.startsWith(`${first} `))
      .map((c) => `  ${c.usage.padEnd(24)} ${c.describe.split('. ')[0]!.replace(/\.$/, '')}\n`)
      .join('') +
    `\nRun \`traceforge ${first} <${subs[0]}> --help\` for the options of one.\n`;
  if (second === undefined) return { error: `\`traceforge ${first}\` needs a subcommand: ${subs.join(', ')} (e.g. \`traceforge ${first} ${subs[0]}\`)` };
  if (second === '--help' || second === '-h') return { help: list() };
  if (second.startsWith('-')) return undefined;
  if (subs.includes(second)) return missingArguments(args, COMMANDS.find((c) => c.usage.startsWith(`${first} ${second}`))!);
  const guess = closest(second, subs);
  return { error: `unknown command "${first} ${second}"${guess ? `; did you mean "${first} ${guess}"?` : ''} Subcommands: ${subs.join(', ')}` };
}

/** `replay` without its cassette: say which argument is missing (sade printed a boxed "Insufficient arguments!"). */
function missingArguments(args: string[], spec: CommandSpec): { error: string } | undefined {
  if (args.some((a) => a === '--help' || a === '-h')) return undefined;
  const takesValue = new Set<string>((spec.options ?? []).filter((o) => o.type !== 'boolean').map((o) => o.flag));
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-')) {
      if (takesValue.has(a)) i++;
      continue;
    }
    positional.push(a);
  }
  const words = commandName(spec).split(' ').length;
  const required = spec.usage.split(/\s+/).filter((w) => w.startsWith('<'));
  const given = positional.length - words;
  if (given >= required.length) return undefined;
  return { error: `\`traceforge ${commandName(spec)}\` needs ${required.slice(given).join(' ')} (usage: traceforge ${spec.usage} [options])` };
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

/** `--redact-header` -> `redact-header`; `--no-backup` -> `backup` (the parser reads it as `backup: false`). */
const optionName = (o: OptionSpec): string => o.flag.slice(2).replace(/^no-/, '');

function unknownFlags(spec: CommandSpec, opts: Record<string, unknown>): string[] {
  // sade lists every registered flag under its own name too (`no-backup`, unset).
  const known = new Set(['_', 'debug', 'h', 'help', 'v', 'version', ...(spec.options ?? []).flatMap((o) => [optionName(o), o.flag.slice(2)])]);
  return Object.keys(opts).filter((k) => !known.has(k));
}

/**
 * The parsed flags in the shapes the table promises: a repeatable flag is always an array, a flag that
 * needs a value and got none is a usage error here (not a `true` a command would have to check for).
 */
function typedOptions(spec: CommandSpec, opts: Record<string, unknown>): Record<string, unknown> {
  const out = { ...opts };
  for (const o of spec.options ?? []) {
    const name = optionName(o);
    const v = out[name];
    if (v === undefined || o.type === 'boolean') continue;
    const values = ([] as unknown[]).concat(v);
    if (values.some((x) => x === true || x === '')) throw new TraceForgeError('E_USAGE', `${o.flag} needs a value`);
    if (o.type === 'strings') out[name] = values.map(String);
    else if (values.length > 1) throw new TraceForgeError('E_USAGE', `${o.flag} was given ${values.length} times; give it once`);
  }
  return out;
}
