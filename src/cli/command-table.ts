import { DEFAULT_TRACES_DIR } from '../store/trace-store.js';
import { SWEEP_CONFIRM_RUNS } from '../sweep/limits.js';
import { defineCommand, type CommandSpec } from './command.js';
import { MAX_TIMER_MS } from '../util/real-timers.js';
import { parseCassetteMode, parseNumber, parsePort, parseTimerMs, parseUrl, parseWhole, type OptionSpec, type OptionsOf } from './options.js';

/**
 * Every command in one table: its help text, its flags and the module that runs it. Each option list is
 * declared `as const`, so the options a command's run() receives are typed from it (OptionsOf); the same
 * list drives the parser, the defaults, the unknown-flag check and the help.
 */

/** Flags every command takes. */
export const GLOBAL_OPTIONS = [{ flag: '--debug', type: 'boolean', description: 'Print stack traces for errors' }] as const satisfies readonly OptionSpec[];

// Every command that reads or writes traces takes the same flag with the same default.
const TRACES_OPTION = { flag: '--traces', type: 'string', description: 'Directory for trace files', default: DEFAULT_TRACES_DIR } as const satisfies OptionSpec;

// The recorder and the replay server bound idle and slow connections the same way.
const HEADERS_TIMEOUT_OPTION = {
  flag: '--headers-timeout',
  type: 'number',
  description: 'Close a connection whose request headers have not all arrived this many ms after it opened (idle and slowloris sockets)',
  default: 10000,
  parse: parseNumber(1, MAX_TIMER_MS),
} as const satisfies OptionSpec;

export const RECORD_OPTIONS = [
  { flag: '--upstream', type: 'string', description: 'Send every call to this base URL instead of routing by provider (e.g. http://localhost:8000)', parse: parseUrl },
  { flag: '--openai', type: 'string', description: 'Base URL for OpenAI calls', default: 'https://api.openai.com', parse: parseUrl },
  { flag: '--anthropic', type: 'string', description: 'Base URL for Anthropic calls', default: 'https://api.anthropic.com', parse: parseUrl },
  { flag: '--gemini', type: 'string', description: 'Base URL for Gemini calls', default: 'https://generativelanguage.googleapis.com', parse: parseUrl },
  { flag: '--ollama', type: 'string', description: 'Base URL for Ollama calls', default: 'http://localhost:11434', parse: parseUrl },
  { flag: '--https-proxy', type: 'boolean', description: 'Also act as an HTTPS proxy (HTTPS_PROXY) with a local CA kept in .ai-tests/ca' },
  { flag: '--allow-host', type: 'strings', description: 'Without --upstream, also forward calls the app sends through the recorder as a proxy (HTTP_PROXY, HTTPS_PROXY, a Host header) to HOST or HOST:PORT; other hosts than the providers\' and the ones you named get a 403 (repeatable)' },
  { flag: '--port', type: 'number', description: 'Port to listen on, 0 picks a free one (default 8787; a free one with -- cmd)', parse: parsePort },
  { flag: '--host', type: 'string', description: 'Interface to bind', default: '127.0.0.1' },
  { flag: '--cassette', type: 'string', description: 'Also write each call to this YAML cassette (one write at its end, whatever its size)' },
  {
    flag: '--mode',
    type: 'string',
    description:
      'How calls go into --cassette (VCR record modes): new_episodes (default) appends only calls it has no recording of, so running twice adds no duplicates; ' +
      'all re-records: each call replaces its recording in place, new ones are appended, recordings no call asked for are kept; once refuses a cassette that exists',
    parse: parseCassetteMode,
  },
  TRACES_OPTION,
  { flag: '--redact-header', type: 'strings', description: 'Also treat this header as a secret: its value is never written (repeatable)' },
  { flag: '--redact-field', type: 'strings', description: 'Also treat this JSON body, form or query field as a secret (repeatable)' },
  HEADERS_TIMEOUT_OPTION,
] as const satisfies readonly OptionSpec[];
export type RecordOptions = OptionsOf<typeof RECORD_OPTIONS>;

const REPLAY_OPTIONS = [
  { flag: '--port', type: 'number', description: 'Port to listen on (0 picks a free one)', default: 8788, parse: parsePort },
  { flag: '--host', type: 'string', description: 'Interface to bind', default: '127.0.0.1' },
  { flag: '--speed', type: 'number', description: 'Playback speed: 1 recorded pace, 2 twice as fast, 0 instant', default: 1 },
  HEADERS_TIMEOUT_OPTION,
  { flag: '--fault', type: 'strings', description: 'Inject a fault (repeatable): drop-after=N, stall=K:MS (MS up to 2147483647, Node\'s timer limit), status=CODE[:RETRY_AFTER], error-event=N, truncate-json=N; chunks count from 1, @N limits it to the n-th request' },
] as const satisfies readonly OptionSpec[];
export type ReplayOptions = OptionsOf<typeof REPLAY_OPTIONS>;

const SWEEP_OPTIONS = [
  { flag: '--kinds', type: 'string', description: 'Fault kinds, comma-separated: status, drop-after, truncate-json, error-event, stall (default all)' },
  { flag: '--budget', type: 'number', description: 'Positions per kind: meaningful ones first, then evenly spaced (default 16)', parse: parseWhole(1) },
  { flag: '--jobs', type: 'number', description: 'Runs at once (default: the number of cores; more than that needs --yes)', parse: parseWhole(1) },
  { flag: '--speed', type: 'number', description: 'Replay speed: 1 recorded pace, 0 instant', default: 1 },
  {
    flag: '--stall-ms',
    type: 'number',
    description:
      "How long a stall fault holds the stream (default 120000 when the command's useCassette replays the cassette on the virtual clock, where it costs no wall time; else half the test runner's timeout, at most 5000)",
    parse: parseTimerMs(0),
  },
  { flag: '--interaction', type: 'number', description: 'Which interaction of the cassette to break, from 1 (default: the first streamed one)', parse: parseWhole(1) },
  { flag: '--request', type: 'number', description: 'Which request the fault applies to, from 1 (default: that interaction\'s number); others get the recording', parse: parseWhole(1) },
  { flag: '--timeout', type: 'number', description: 'Kill a run after this many ms and count it failed (default: from the clean run\'s time)', parse: parseTimerMs(1) },
  {
    flag: '--base-urls',
    type: 'boolean',
    description:
      "Also point OPENAI_BASE_URL, ANTHROPIC_BASE_URL, OLLAMA_HOST and GOOGLE_GEMINI_BASE_URL at the sweep's replay server, for an app without useCassette (off: in a test suite they would send every test's calls to the swept cassette)",
  },
  { flag: '--show-output', type: 'boolean', description: "Print each failed run's output (with --json: an output field per run); every run's output is also in .ai-tests/sweeps/<time>/run-N.log" },
  { flag: '--json', type: 'boolean', description: 'Print the results as JSON instead of a table', default: false },
  { flag: '--yes', type: 'boolean', description: `Run a plan of more than ${SWEEP_CONFIRM_RUNS} runs, or --jobs above the number of cores; without it such a sweep is refused before anything runs` },
] as const satisfies readonly OptionSpec[];
export type SweepOptions = OptionsOf<typeof SWEEP_OPTIONS>;

const TRACE_LIST_OPTIONS = [
  { flag: '--json', type: 'boolean', description: 'Print a JSON array instead of a table' },
  { flag: '--stream', type: 'boolean', description: 'Only streaming calls' },
  { flag: '--normal', type: 'boolean', description: 'Only non-streaming calls' },
  { flag: '--model', type: 'string', description: 'Only calls to this model' },
  { flag: '--limit', type: 'number', description: 'Show at most N traces', parse: parseWhole(1) },
  TRACES_OPTION,
] as const satisfies readonly OptionSpec[];
export type TraceListOptions = OptionsOf<typeof TRACE_LIST_OPTIONS>;

const TEXT_OPTION = { flag: '--text', type: 'boolean', description: 'Print plain text instead of opening the UI' } as const satisfies OptionSpec;

const TRACE_VIEW_OPTIONS = [
  TEXT_OPTION,
  { flag: '--json', type: 'boolean', description: 'Print what the view shows as JSON: metadata, timing figures over the chunks, and the response summary (text, tool calls, finish reason, usage)' },
  TRACES_OPTION,
] as const satisfies readonly OptionSpec[];
export type TraceViewOptions = OptionsOf<typeof TRACE_VIEW_OPTIONS>;

const TRACE_DIFF_OPTIONS = [
  TEXT_OPTION,
  { flag: '--json', type: 'boolean', description: 'Print the comparison as JSON: request fields, response and timing rows, each with both sides' },
  TRACES_OPTION,
] as const satisfies readonly OptionSpec[];
export type TraceDiffOptions = OptionsOf<typeof TRACE_DIFF_OPTIONS>;

const TRACE_UPGRADE_OPTIONS = [
  { flag: '--dry-run', type: 'boolean', description: 'Say what would be done; write nothing' },
  { flag: '--no-backup', type: 'boolean', description: 'Do not keep the originals as <file>.bak' },
] as const satisfies readonly OptionSpec[];
export type TraceUpgradeOptions = OptionsOf<typeof TRACE_UPGRADE_OPTIONS>;

const GEN_OPTIONS = [
  { flag: '--out', type: 'string', description: 'Test file to write (default test/<slug>.test.ts)' },
  { flag: '--cassette', type: 'string', description: 'Cassette to write (default fixtures/<slug>.yaml)' },
  { flag: '--template', type: 'string', description: 'openai | openai-responses | anthropic | fetch (default: from the provider)' },
  { flag: '--timing', type: 'string', description: 'instant: replay at once, check no timing; recorded: replay at the recorded pace and check the time to the first chunk and to the end', default: 'instant' },
  {
    flag: '--clock',
    type: 'string',
    description:
      "With --timing recorded: virtual (default) replays on a fake clock the tape drives, useCassette(fixture, { clock: 'virtual' }), and checks the recorded times to 0.01 ms at any machine load, with no waiting; wall replays in real time with tolerances of 100 ms or more",
  },
  { flag: '--force', type: 'boolean', description: 'Overwrite existing files' },
  TRACES_OPTION,
] as const satisfies readonly OptionSpec[];
export type GenOptions = OptionsOf<typeof GEN_OPTIONS>;

const DEMO_OPTIONS = [{ flag: '--speed', type: 'number', description: 'Replay speed for the demo', default: 1 }] as const satisfies readonly OptionSpec[];
export type DemoOptions = OptionsOf<typeof DEMO_OPTIONS>;

export const COMMANDS: readonly CommandSpec[] = [
  defineCommand({
    usage: 'record',
    describe: 'Run the recording proxy: forward calls to the provider and write a trace per call as it ends. With `-- cmd`, run cmd against it and exit with its code. Ctrl-C stops it after calls in flight finish (up to 5 s); Ctrl-C again cuts them, saved as partial (outcome recorder_shutdown). A call that had finished is never lost.',
    options: RECORD_OPTIONS,
    examples: [
      'record',
      'record --redact-header x-internal-token --redact-field session_id',
      'record --ollama http://gpu-box:11434 --cassette fixtures/chat.yaml',
      'record --cassette fixtures/chat.yaml -- node app.js',
      'record --cassette fixtures/chat.yaml --mode all -- npx vitest run',
      'record --https-proxy -- python app.py',
      'record --upstream http://localhost:8000',
    ],
    load: () => import('./commands/record.js'),
  }),
  defineCommand({
    usage: 'replay <cassette>',
    describe: 'Serve a cassette: same status, headers and bytes, each chunk at its recorded time. No network, no API key.',
    options: REPLAY_OPTIONS,
    examples: ['replay fixtures/chat.yaml', 'replay fixtures/chat.yaml --speed 0 --port 0', 'replay fixtures/chat.yaml --fault drop-after=3', 'replay fixtures/chat.yaml --fault status=429:2@1 --fault stall=5:3000'],
    load: () => import('./commands/replay.js'),
  }),
  defineCommand({
    usage: 'sweep <cassette>',
    describe:
      "Run a command once without a fault, then once per fault at every meaningful point of the recorded stream (before the first byte, after the first content, inside tool arguments, between blocks, before the finish and the terminator, after usage, and evenly spaced). Each run gets TRACEFORGE_SWEEP, which names the cassette and the fault: only a useCassette of that cassette takes the fault, and replays it on the virtual clock (unless your environment sets TRACEFORGE_CLOCK), where a stall costs no wall time; the suite's other cassettes replay as usual. An app without useCassette takes --base-urls, or reads TRACEFORGE_REPLAY_URL (each run's own replay server). Prints which faults the command does not survive, each with the failing test's own assertion or error, and the smallest failing case per kind; each run's output goes to .ai-tests/sweeps/<time>/run-N.log. Exit 0 all pass, 1 one fails (or the clean run fails), 2 usage (also when nothing in the command opened the cassette).",
    options: SWEEP_OPTIONS,
    examples: [
      'sweep fixtures/chat.yaml -- npx vitest run',
      'sweep fixtures/chat.yaml --kinds drop-after,truncate-json --budget 8 --show-output -- npx vitest run test/chat.test.ts',
      'sweep fixtures/chat.yaml --base-urls --json --jobs 2 -- node app.js',
    ],
    load: () => import('./commands/sweep.js'),
  }),
  defineCommand({ usage: 'trace list', describe: 'List recorded traces, newest first.', options: TRACE_LIST_OPTIONS, load: () => import('./commands/trace-list.js') }),
  defineCommand({
    usage: 'trace view [id]',
    describe: 'Open a trace (id or unique prefix) in the terminal UI; plain text with --text or when piped.',
    options: TRACE_VIEW_OPTIONS,
    load: () => import('./commands/trace-view.js'),
  }),
  defineCommand({ usage: 'trace diff <a> <b>', describe: 'Compare two traces: request, response and timing.', options: TRACE_DIFF_OPTIONS, load: () => import('./commands/trace-diff.js') }),
  defineCommand({
    usage: 'trace upgrade <path>',
    describe:
      'Rewrite traces written by the first TraceForge (schema "1.0.0") in the current schema. PATH is a trace file or a directory (its *.json files). Each file is replaced in place, after its original is copied to <file>.bak; both writes are atomic. Files already current are left alone, and a file that cannot be converted is reported and left as it was (exit 1). Optional: list, view, diff, gen and replay read old traces as they are.',
    options: TRACE_UPGRADE_OPTIONS,
    examples: [`trace upgrade ${DEFAULT_TRACES_DIR} --dry-run`, `trace upgrade ${DEFAULT_TRACES_DIR}`, `trace upgrade ${DEFAULT_TRACES_DIR}/7c9e6679f4a1.json --no-backup`],
    load: () => import('./commands/trace-upgrade.js'),
  }),
  defineCommand({
    usage: 'gen <id>',
    describe: 'Turn a trace into a cassette plus a vitest file that replays it and asserts on it.',
    options: GEN_OPTIONS,
    examples: ['gen e19197ef', 'gen e19197ef --timing recorded', 'gen e19197ef --timing recorded --clock wall', 'gen 7c1e --template fetch --out test/raw.test.ts'],
    load: () => import('./commands/gen.js'),
  }),
  defineCommand({
    usage: 'demo',
    describe: 'Record and replay against a built-in simulated upstream: the whole loop, no API key needed.',
    options: DEMO_OPTIONS,
    load: () => import('./commands/demo.js'),
  }),
];
