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

interface CommandSpec {
  usage: string;
  describe: string;
  module: string;
  options?: Array<[flag: string, description: string, fallback?: string | number | boolean]>;
  examples?: string[];
}

// Every command that reads or writes traces takes the same flag with the same default.
const TRACES_OPTION: [string, string, string] = ['--traces', 'Directory for trace files', DEFAULT_TRACES_DIR];

// One table for every command: the help text, the flags and the lazily loaded implementation.
const COMMANDS: CommandSpec[] = [
  {
    usage: 'record',
    describe: 'Run the recording proxy: forward calls to the provider and write a trace per call as it ends. With `-- cmd`, run cmd against it and exit with its code. Ctrl-C stops it after calls in flight finish (up to 5 s); Ctrl-C again cuts them, saved as partial (outcome recorder_shutdown). A call that had finished is never lost.',
    module: './commands/record.js',
    options: [
      ['--upstream', 'Send every call to this base URL instead of routing by provider (e.g. http://localhost:8000)'],
      ['--openai', 'Base URL for OpenAI calls', 'https://api.openai.com'],
      ['--anthropic', 'Base URL for Anthropic calls', 'https://api.anthropic.com'],
      ['--gemini', 'Base URL for Gemini calls', 'https://generativelanguage.googleapis.com'],
      ['--ollama', 'Base URL for Ollama calls', 'http://localhost:11434'],
      ['--https-proxy', 'Also act as an HTTPS proxy (HTTPS_PROXY) with a local CA kept in .ai-tests/ca'],
      ['--allow-host', 'Without --upstream, also forward calls the app sends through the recorder as a proxy (HTTP_PROXY, HTTPS_PROXY, a Host header) to HOST or HOST:PORT; other hosts than the providers\' and the ones you named get a 403 (repeatable)'],
      ['--port', 'Port to listen on, 0 picks a free one (default 8787; a free one with -- cmd)'],
      ['--host', 'Interface to bind', '127.0.0.1'],
      ['--cassette', 'Also append each call to this YAML cassette (one write at its end, whatever its size)'],
      TRACES_OPTION,
      ['--redact-header', 'Also treat this header as a secret: its value is never written (repeatable)'],
      ['--redact-field', 'Also treat this JSON body, form or query field as a secret (repeatable)'],
      ['--headers-timeout', 'Close a connection whose request headers have not all arrived this many ms after it opened (idle and slowloris sockets)', 10000],
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
      ['--port', 'Port to listen on (0 picks a free one)', 8788],
      ['--host', 'Interface to bind', '127.0.0.1'],
      ['--speed', 'Playback speed: 1 recorded pace, 2 twice as fast, 0 instant', 1],
      ['--headers-timeout', 'Close a connection whose request headers have not all arrived this many ms after it opened (idle and slowloris sockets)', 10000],
      ['--fault', 'Inject a fault (repeatable): drop-after=N, stall=K:MS, status=CODE[:RETRY_AFTER], error-event=N, truncate-json=N; chunks count from 1, @N limits it to the n-th request'],
    ],
    examples: ['replay fixtures/chat.yaml', 'replay fixtures/chat.yaml --speed 0 --port 0', 'replay fixtures/chat.yaml --fault drop-after=3', 'replay fixtures/chat.yaml --fault status=429:2@1 --fault stall=5:3000'],
  },
  {
    usage: 'sweep <cassette>',
    describe:
      'Run a command once without a fault, then once per fault at every meaningful point of the recorded stream (before the first byte, after the first content, inside tool arguments, between blocks, before the finish and the terminator, after usage, and evenly spaced), each against its own replay server (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, OLLAMA_HOST, TRACEFORGE_REPLAY_URL and TRACEFORGE_FAULTS set for it). Prints which faults the command does not survive and the smallest failing case per kind. Exit 0 all pass, 1 one fails (or the clean run fails), 2 usage.',
    module: './commands/sweep.js',
    options: [
      ['--kinds', 'Fault kinds, comma-separated: status, drop-after, truncate-json, error-event, stall (default all)'],
      ['--budget', 'Positions per kind: meaningful ones first, then evenly spaced (default 16)'],
      ['--jobs', 'Runs at once (default: the number of cores)'],
      ['--speed', 'Replay speed: 1 recorded pace, 0 instant', 1],
      ['--stall-ms', 'How long a stall fault holds the stream (default 5000)'],
      ['--interaction', 'Which interaction of the cassette to break, from 1 (default: the first streamed one)'],
      ['--request', 'Which request the fault applies to, from 1 (default: that interaction\'s number); others get the recording'],
      ['--timeout', 'Kill a run after this many ms and count it failed (default: from the clean run\'s time)'],
      ['--json', 'Print the results as JSON instead of a table', false],
    ],
    examples: ['sweep fixtures/chat.yaml -- node app.js', 'sweep fixtures/chat.yaml --kinds drop-after,truncate-json --budget 8 -- npx vitest run test/chat.test.ts', 'sweep fixtures/chat.yaml --json --jobs 2 -- node app.js'],
  },
  {
    usage: 'trace list',
    describe: 'List recorded traces, newest first.',
    module: './commands/trace-list.js',
    options: [
      ['--json', 'Print a JSON array instead of a table'],
      ['--stream', 'Only streaming calls'],
      ['--normal', 'Only non-streaming calls'],
      ['--model', 'Only calls to this model'],
      ['--limit', 'Show at most N traces'],
      TRACES_OPTION,
    ],
  },
  {
    usage: 'trace view [id]',
    describe: 'Open a trace (id or unique prefix) in the terminal UI; plain text with --text or when piped.',
    module: './commands/trace-view.js',
    options: [
      ['--text', 'Print plain text instead of opening the UI'],
      ['--json', 'Print what the view shows as JSON: metadata, timing figures over the chunks, and the response summary (text, tool calls, finish reason, usage)'],
      TRACES_OPTION,
    ],
  },
  {
    usage: 'trace diff <a> <b>',
    describe: 'Compare two traces: request, response and timing.',
    module: './commands/trace-diff.js',
    options: [
      ['--text', 'Print plain text instead of opening the UI'],
      ['--json', 'Print the comparison as JSON: request fields, response and timing rows, each with both sides'],
      TRACES_OPTION,
    ],
  },
  {
    usage: 'trace upgrade <path>',
    describe:
      'Rewrite traces written by the first TraceForge (schema "1.0.0") in the current schema. PATH is a trace file or a directory (its *.json files). Each file is replaced in place, after its original is copied to <file>.bak; both writes are atomic. Files already current are left alone, and a file that cannot be converted is reported and left as it was (exit 1). Optional: list, view, diff, gen and replay read old traces as they are.',
    module: './commands/trace-upgrade.js',
    options: [
      ['--dry-run', 'Say what would be done; write nothing'],
      ['--no-backup', 'Do not keep the originals as <file>.bak'],
    ],
    examples: ['trace upgrade .ai-tests/traces --dry-run', 'trace upgrade .ai-tests/traces', 'trace upgrade .ai-tests/traces/7c9e6679f4a1.json --no-backup'],
  },
  {
    usage: 'gen <id>',
    describe: 'Turn a trace into a cassette plus a vitest file that replays it and asserts on it.',
    module: './commands/gen.js',
    options: [
      ['--out', 'Test file to write (default test/<slug>.test.ts)'],
      ['--cassette', 'Cassette to write (default fixtures/<slug>.yaml)'],
      ['--template', 'openai | openai-responses | anthropic | fetch (default: from the provider)'],
      ['--timing', 'recorded | instant', 'instant'],
      ['--force', 'Overwrite existing files'],
      TRACES_OPTION,
    ],
  },
  {
    usage: 'demo',
    describe: 'Record and replay against a built-in simulated upstream: the whole loop, no API key needed.',
    module: './commands/demo.js',
    options: [['--speed', 'Replay speed for the demo', 1]],
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
    for (const [flag, desc, fallback] of spec.options ?? []) prog.option(flag, desc, fallback);
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
    prog.parse(own, { string: ['upstream', 'cassette', 'host', 'model', 'out', 'template', 'timing', 'traces', 'fault', 'redact-header', 'redact-field', 'openai', 'anthropic', 'gemini', 'ollama'] });
  } catch (e) {
    if (e instanceof SadeExit) return Number(e.message) === 0 ? EXIT_OK : EXIT_USAGE;
    return reportError(e, debug);
  } finally {
    process.exit = realExit;
  }
  if (!picked) return EXIT_OK; // --help or --version was printed
  try {
    const unknown = unknownFlags(picked.spec, picked.ctx.opts);
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
  if (first === undefined) return undefined;
  const usages = COMMANDS.map((c) => c.usage.split(/\s+/).filter((w) => !/^[<[]/.test(w)));
  const groups = [...new Set(usages.map((u) => u[0]!))];
  if (!groups.includes(first)) {
    const guess = closest(first, groups);
    return { error: `unknown command "${first}"${guess ? `; did you mean "${guess}"?` : ''} Run \`traceforge --help\` for the list` };
  }
  const subs = usages.filter((u) => u[0] === first && u.length > 1).map((u) => u[1]!);
  if (subs.length === 0 || args.indexOf(first) !== args.findIndex((a) => !a.startsWith('-'))) return undefined;
  const second = args[args.indexOf(first) + 1];
  const list = () =>
    `Usage: traceforge ${first} <${subs.join('|')}> [options]\n\n` +
    COMMANDS.filter((c) => c.usage.startsWith(`${first} `))
      .map((c) => `  ${c.usage.padEnd(24)} ${c.describe.split('. ')[0]!.replace(/\.$/, '')}\n`)
      .join('') +
    `\nRun \`traceforge ${first} <${subs[0]}> --help\` for the options of one.\n`;
  if (second === undefined) return { error: `\`traceforge ${first}\` needs a subcommand: ${subs.join(', ')} (e.g. \`traceforge ${first} ${subs[0]}\`)` };
  if (second === '--help' || second === '-h') return { help: list() };
  if (second.startsWith('-') || subs.includes(second)) return undefined;
  const guess = closest(second, subs);
  return { error: `unknown command "${first} ${second}"${guess ? `; did you mean "${first} ${guess}"?` : ''} Subcommands: ${subs.join(', ')}` };
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
  const known = new Set(['_', 'debug', 'h', 'help', 'v', 'version']);
  for (const [flag] of spec.options ?? []) {
    const name = flag.replace(/^--/, '').split(/[ ,]/)[0]!;
    known.add(name);
    // The parser reads `--no-backup` as `backup: false`.
    if (name.startsWith('no-')) known.add(name.slice(3));
  }
  return Object.keys(opts).filter((k) => !known.has(k));
}
