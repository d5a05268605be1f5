import { TraceForgeError } from './errors.js';
import { emptyCassette } from './cassette/codec.js';
import type { MatchOptions, MissExplanation } from './cassette/match.js';
import { resolveRecordMode, type RecordMode } from './record-mode.js';
import { dropWarmProxyThread, startRecorder, warmProxyThread, type Recorder } from './record/recorder.js';
import { DEFAULT_PROVIDER_HOSTS, providerForRequest } from './record/provider-routes.js';
import { startInterception, type InterceptOptions, type Interception } from './intercept/index.js';
import { dirname, resolve as resolvePath } from 'node:path';
import { stat } from 'node:fs/promises';
import type { Fault } from './replay/faults.js';
import { startReplayThread, type ReplayThread } from './replay/replay-thread.js';
import { startReplayOnDemand } from './replay/replay-on-demand.js';
import { appendToCassette, cassetteExists, cassetteFsError, checkCassetteWritable, writeForRun } from './store/cassette-file.js';
import { notFromProvider } from './cassette/provider-said.js';
import { createCassetteQueue } from './store/cassette-queue.js';
import { createTraceStore } from './store/trace-store.js';
import type { RedactOptions } from './trace/redact.js';
import type { Trace } from './trace/types.js';
import { parseHttpUrl } from './util/http-url.js';
import { shortText } from './util/one-line.js';
import { faultsWithEnv, markSwept, sweptCassette } from './sweep/env.js';
import type { LatenessSummary } from './replay/lateness.js';
import { normalizeFaults } from './replay/faults.js';
import { openVirtualReplay, type VirtualReplay } from './virtual/virtual-replay.js';
import { sessionKey, testRunId } from './test-run.js';
import { dirWriteError, probeWritable } from './util/writable-dir.js';

export interface CassetteSessionOptions {
  /** Record mode; default from TRACEFORGE_RECORD, else `none` under CI and `once` elsewhere. */
  mode?: RecordMode;
  /** Where to record from when the mode records (or TRACEFORGE_UPSTREAM). */
  upstream?: string;
  /** Replay speed: 1 recorded pace (default), 0 instant. */
  speed?: number;
  /**
   * Which clock replay runs on. `'wall'` (default): the replay server writes each chunk at its recorded
   * offset on the machine's clock, as exact as the machine is idle. `'virtual'`: calls are answered
   * in-process and the process's timers, `Date` and `performance.now()` run on a fake clock
   * (@sinonjs/fake-timers, the one vitest and jest use) that the tape drives: the app measures exactly the
   * recorded timing at any machine load, and no recorded second is waited for. Default from
   * TRACEFORGE_CLOCK. Needs the interception (`intercept` not false).
   */
  clock?: ClockKind;
  /** Told, one line each, when something cannot run on the virtual clock (a call that left the process...). */
  onNote?: (line: string) => void;
  match?: MatchOptions;
  /**
   * Deterministic faults applied to replayed answers (not to calls forwarded for recording), e.g.
   * `['drop-after=3']`, `['stall=5:2000']`, `['status=429:1@1']`, `['error-event=4']`, `['truncate-json=2']`.
   * Chunks count from 1; `@N` limits a fault to the n-th request.
   */
  faults?: ReadonlyArray<string | Fault>;
  /** Also write a trace file per recorded call into this directory (`useCassette` defaults to `.ai-tests/traces`); `false` for none. */
  traces?: string | false;
  /**
   * Serve the process's own calls to the providers' hosts (OpenAI, Anthropic, Gemini, Ollama on
   * localhost:11434, Bedrock, Cohere) and `hosts` from this cassette, through the global fetch and
   * node:http/https, with no base URL changed in the app. In record modes they go through the recorder
   * to the host the app addressed (or to `upstream`). `useCassette` turns it on by default; `false` turns it off.
   */
  intercept?: boolean | InterceptOptions;
  /**
   * When the cassette does not exist and the mode does not record: `'error'` (default) fails at once;
   * `'empty'` serves an empty cassette, so only a call made fails, with a miss that says the file does not exist.
   */
  missing?: 'error' | 'empty';
  /**
   * Your own secrets to keep out of what is recorded, on top of the built-in ones, e.g.
   * `{ headers: ['x-internal-token'], bodyFields: ['session_id'], patterns: [/corp-[a-z0-9]{20}/] }`.
   * A recorded `[REDACTED]` value still matches the real one on replay.
   */
  redact?: RedactOptions;
  /**
   * WebSocket sessions (OpenAI Realtime, Gemini Live...). `volatileFields`: client-frame fields that change
   * on every run and are left out of the check, by name at any depth or dotted path. Default `['event_id']`.
   */
  websocket?: { volatileFields?: string[] };
  port?: number;
  host?: string;
  env?: NodeJS.ProcessEnv;
}

export interface CassetteSession {
  readonly url: string;
  readonly mode: RecordMode;
  /** Requests that matched nothing so far; a miss is here by the time its client has the 404. */
  readonly misses: MissExplanation[];
  /** What was skipped while loading the cassette (a last interaction cut off mid-write), one line each. */
  readonly warnings: readonly string[];
  /** Interactions recorded during this session. */
  readonly recorded: Trace[];
  /** Whether the cassette file existed when the session opened. */
  readonly existed: boolean;
  /** Where calls that are recorded go: the upstream, or `the hosts the app calls` (undefined when the mode does not record). */
  readonly recordingTo: string | undefined;
  /** The cassette file did not exist when the session opened, and the mode does not record (with `missing: 'empty'`). */
  readonly missingFile: boolean;
  /** Calls refused by the interception as going to a host it does not serve (unmatched: 'error'), one line each. */
  readonly blocked: readonly string[];
  /** How late the replay server wrote pieces against their recorded times (see ReplayServer.lateness). */
  lateness(): LatenessSummary;
  /** The clock replay runs on. */
  readonly clock: ClockKind;
  /**
   * Under the virtual clock, whether the app's own timers alone may move time (a test is running); the
   * runners' hooks turn it on for each test and off after. Tape deliveries always move it.
   */
  setRunning(running: boolean): void;
  /**
   * Stop serving and recording. Rejects, after everything is closed, when a call recorded in this session
   * could not be written to the cassette or its trace file (full disk, a path that cannot be written): one
   * line with the count, the first call and each path with its reason (code E_PATH; E_CASSETTE_LOCKED, or
   * E_CASSETTE_INVALID for a body too big for a cassette).
   */
  close(): Promise<void>;
}

export type ClockKind = 'wall' | 'virtual';

/** A session open in this process, and the test file it was opened in when a runner said which. */
interface OpenSession {
  readonly path: string;
  readonly owner: string | undefined;
  close(): Promise<void>;
}
const openSessions = new Set<OpenSession>();

/**
 * The test file vitest or jest is running now, from the expect state both keep on globalThis (read there, not
 * through their modules: an app's own openCassette() call imports neither); undefined outside a runner.
 * With `isolate: false` every file runs in one process, so a cassette a file opened and never closed would
 * answer the next files' calls: opening a cassette in another file closes it first, with a one-line note.
 */
function runnerTestFile(): string | undefined {
  try {
    const state = (globalThis as unknown as Record<symbol, { state?: { testPath?: unknown } } | undefined>)[Symbol.for('$$jest-matchers-object')]?.state;
    return typeof state?.testPath === 'string' && state.testPath !== '' ? state.testPath : undefined;
  } catch {
    return undefined;
  }
}

/** Close the sessions opened in another test file than `owner` and still open. */
async function closeLeftOpen(owner: string, note: (line: string) => void): Promise<void> {
  for (const s of [...openSessions]) {
    if (s.owner === undefined || s.owner === owner) continue;
    note(
      `traceforge: cassette ${shortText(s.path)}, opened in ${shortText(s.owner)}, was still open when ${shortText(owner)} opened a cassette ` +
        '(test files share this process, as with vitest --no-isolate): closed it, so it answers no call of this file; close what openCassette() opens in afterAll',
    );
    // Its own failure (calls it could not save) is its file's to report; this file goes on.
    await s.close().catch((e: unknown) => note(`traceforge: closing cassette ${shortText(s.path)}: ${e instanceof Error ? e.message : String(e)}`));
  }
}

/** The clock option, else TRACEFORGE_CLOCK, else wall; anything else is a usage error naming both. */
export function resolveClock(given: ClockKind | undefined, env: NodeJS.ProcessEnv): ClockKind {
  const raw = given ?? (env.TRACEFORGE_CLOCK || undefined);
  if (raw === undefined) return 'wall';
  if (raw === 'wall' || raw === 'virtual') return raw;
  const from = given !== undefined ? 'clock option' : 'TRACEFORGE_CLOCK';
  throw new TraceForgeError('E_USAGE', `${from} is ${JSON.stringify(shortText(String(raw)))}: use 'virtual' (in-process tests: exact recorded timing at any load, no waiting) or 'wall' (the default)`);
}

/** Whether a mode nobody chose may record a new cassette at `path` (see the check in openCassette). */
function chosenMode(options: CassetteSessionOptions, env: NodeJS.ProcessEnv): boolean {
  return options.mode !== undefined || !!env.TRACEFORGE_RECORD;
}

/**
 * When every cassette of the run records (TRACEFORGE_RECORD=all or new_episodes, or inside `traceforge record --
 * <command>`), start the recorder's thread now: it loads mockttp, most of a recording session's start, while the
 * test file's own imports load. Silent: a bad mode fails in openCassette. A thread no session takes is ended by
 * dropWarmRecorder, or with the process (it keeps none alive).
 */
export function warmRecorderForRun(env: NodeJS.ProcessEnv = process.env): void {
  try {
    const mode = resolveRecordMode(undefined, env);
    if (mode === 'all' || mode === 'new_episodes') warmProxyThread();
  } catch {
    // openCassette says what is wrong with the mode.
  }
}

export const dropWarmRecorder = dropWarmProxyThread;

/**
 * Serve a cassette under a record mode: replay what matches and, when the mode allows it,
 * forward what does not to an in-process recorder that appends it to the cassette.
 *
 * @example
 * const session = await openCassette('fixtures/chat.yaml', { mode: 'none', speed: 0 });
 * const openai = new OpenAI({ baseURL: `${session.url}/v1`, apiKey: 'test' });
 * // ... the calls under test ...
 * await session.close();
 */
export async function openCassette(path: string, options: CassetteSessionOptions = {}, who: { recordedBy?: string; namedAfterTest?: boolean } = {}): Promise<CassetteSession> {
  const env = options.env ?? process.env;
  const owner = runnerTestFile();
  if (owner !== undefined) await closeLeftOpen(owner, options.onNote ?? ((line) => process.emitWarning(line)));
  const mode = resolveRecordMode(options.mode, env, path);
  const exists = await cassetteExists(path);
  const shown = shortText(path);
  // Inside \`traceforge record -- <command>\`, calls that are recorded go through that recorder (its routing,
  // its --upstream), which writes a trace for each; its own --cassette it writes itself.
  const outer = env.TRACEFORGE_PROXY_URL || undefined;
  // Checked now, whatever the mode: a file: or host-less URL would otherwise fail each recorded call, one by one.
  if (options.upstream !== undefined) parseHttpUrl(options.upstream, 'the upstream option');
  if (env.TRACEFORGE_UPSTREAM) parseHttpUrl(env.TRACEFORGE_UPSTREAM, 'TRACEFORGE_UPSTREAM');
  if (outer) parseHttpUrl(outer, 'TRACEFORGE_PROXY_URL');
  const upstream = options.upstream ?? outer ?? (env.TRACEFORGE_UPSTREAM || undefined);
  const viaOuter = outer !== undefined && upstream === outer;
  const outerWrites = viaOuter && !!env.TRACEFORGE_CASSETTE && resolvePath(env.TRACEFORGE_CASSETTE) === resolvePath(path);
  const records = mode === 'all' || mode === 'new_episodes' || (mode === 'once' && !exists);
  const missingFile = !records && !exists;
  if (missingFile && options.missing !== 'empty') throw new TraceForgeError('E_CASSETTE_NOT_FOUND', missingCassetteMessage(path, mode, env));
  // A mode nobody chose records a new cassette only where one was meant to be: a mistyped directory would
  // otherwise send the calls, billed, to the providers' real hosts with one stderr line as the only sign.
  if (records && !exists && !chosenMode(options, env) && !who.namedAfterTest && !(await isDirectory(dirname(resolvePath(path))))) {
    throw new TraceForgeError('E_CASSETTE_NOT_FOUND', typoGuardMessage(path, mode, upstream ?? 'the providers\' real hosts'));
  }
  // An existing cassette goes by path: the replay thread indexes it and reads each interaction when it is
  // served, so a big cassette replays in bounded memory. Mode `all` starts from nothing.
  const cassette = mode === 'all' || !exists ? emptyCassette() : path;
  const intercepting = options.intercept !== undefined && options.intercept !== false;
  // A `traceforge sweep` of this cassette brings its fault and clock; a sweep of another cassette, nothing.
  const swept = sweptCassette(path, env);
  const faults = faultsWithEnv(options.faults, env, swept);
  let clock = resolveClock(options.clock ?? swept?.clock, env);
  if (clock === 'virtual' && !intercepting && options.clock === undefined) {
    // TRACEFORGE_CLOCK (or a sweep's clock) is for a whole run: a cassette that serves only its URL stays on the wall clock.
    const from = swept?.clock ? "the sweep's virtual clock" : 'TRACEFORGE_CLOCK=virtual';
    options.onNote?.(`traceforge: ${from} does not apply to cassette ${shown}: its interception is off (intercept: false), and the virtual clock answers calls in-process through it; it replays on the wall clock`);
    clock = 'wall';
  }
  if (clock === 'virtual' && !intercepting) {
    throw new TraceForgeError(
      'E_USAGE',
      `clock 'virtual' answers the process's calls in-process, through the interception, but intercept is off for ${shown}: ` +
        "drop intercept: false (the app's calls to the providers' hosts, and to the cassette's url, are then served on the virtual clock), or use clock: 'wall' and point the client at cassette.url",
    );
  }
  const recorded: Trace[] = [];
  const failed: NotSaved[] = [];
  let recording: Promise<Recorder> | undefined;
  if (records) {
    const store = options.traces && !viaOuter ? createTraceStore(options.traces) : undefined;
    // A cassette or trace directory that cannot be written fails now, before any call is made.
    if (!outerWrites) await checkCassetteWritable(path);
    if (store) {
      await probeWritable(store.dir).catch((e: unknown) => {
        throw dirWriteError(store.dir, e, `pass ${TRACES_FIX} with a writable directory`);
      });
    }
    // Without an upstream, each call goes where the app sent it: the host the interception saw it
    // addressed to, or the provider its path names (a client pointed at the session's URL).
    const route = (req: { url: string; headers: Record<string, string | string[] | undefined>; destination?: URL }): URL | undefined => {
      if (req.destination) return new URL(req.destination.origin);
      const p = providerForRequest(req.url, req.headers);
      return p ? new URL(DEFAULT_PROVIDER_HOSTS[p]) : undefined;
    };
    // Mode `all` replaces the cassette once per test run (see writeForRun): the session's first batch
    // decides, every later one is appended (one write at the end).
    const run = mode === 'all' ? { run: testRunId(env), by: who.recordedBy ?? sessionKey() } : undefined;
    let first = run !== undefined;
    const queue = createCassetteQueue(path, async (file, traces) => {
      if (!first || !run) return appendToCassette(file, traces);
      await writeForRun(file, traces, run);
      first = false;
    });
    // A call whose recording could not be written is kept to fail close() with: the app had its answer, the cassette does not.
    const saving = (trace: Trace, write: Promise<unknown> | undefined, explain: (e: unknown) => TraceForgeError): Promise<unknown> | undefined =>
      write?.catch((e: unknown) => {
        failed.push({ trace, error: e instanceof TraceForgeError ? e : explain(e) });
      });
    // The recorder forwards and stamps on a thread of its own, so a test busy on this thread cannot shift what it records.
    recording = startRecorder({
      ...(upstream ? { upstream } : { route }),
      redact: options.redact,
      onTrace: async (trace) => {
        recorded.push(trace);
        // A call the recorder answered or cut itself is not what the provider said: no cassette entry.
        await Promise.all([
          saving(trace, store?.save(trace), (e) => dirWriteError(store!.dir, e, `pass ${TRACES_FIX} with a writable directory`)),
          notFromProvider(trace) || outerWrites ? undefined : saving(trace, queue.add(trace), (e) => cassetteFsError(path, e, 'write')),
        ]);
      },
    });
  }
  // The replay server runs on a thread of its own too: a test busy on this thread cannot make a chunk late.
  // Under the virtual clock the process's own calls never reach the replay server: it starts only if
  // something else connects to its URL (another process), unless misses are forwarded to a recorder.
  const start = clock === 'virtual' && !records ? startReplayOnDemand : startReplayThread;
  const forwardTo = recording?.then((r) => r.url);
  forwardTo?.catch(() => undefined);
  const upgradeForwardTo = recording?.then((r) => r.wsUrl);
  upgradeForwardTo?.catch(() => undefined);
  // Both threads start at once (the recorder's loads mockttp, the longest part of opening a cassette that records).
  const [served, proxied] = await Promise.allSettled([
    (async () =>
      start({
        cassette,
        speed: options.speed,
        // The user's own secrets stay out of miss explanations too.
        match: options.redact ? { ...options.match, redact: options.redact } : options.match,
        faults,
        port: options.port,
        host: options.host,
        forwardTo,
        upgradeForwardTo,
        volatileFields: options.websocket?.volatileFields,
      }))(),
    recording,
  ]);
  if (served.status === 'rejected' || proxied.status === 'rejected') {
    if (served.status === 'fulfilled') await served.value.close();
    if (proxied.status === 'fulfilled') await proxied.value?.close();
    throw proxied.status === 'rejected' ? proxied.reason : (served as PromiseRejectedResult).reason;
  }
  const replay: ReplayThread = served.value;
  const recorder: Recorder | undefined = proxied.value;
  const onNote = options.onNote ?? (() => undefined);
  let virtual: VirtualReplay | undefined;
  if (clock === 'virtual') {
    try {
      virtual = await openVirtualReplay({
        cassette,
        match: options.redact ? { ...options.match, redact: options.redact } : options.match,
        faults: normalizeFaults(faults),
        speed: options.speed ?? 1,
        records,
        running: true,
        warn: onNote,
      });
    } catch (e) {
      await replay.close();
      await recorder?.close();
      throw e;
    }
    if (records) onNote(`traceforge: clock 'virtual': cassette ${shown} records (mode "${mode}"); calls it has no recording of go out on the wall clock (the virtual clock follows the wall clock meanwhile), and replay on the virtual clock in the next run`);
  }
  let interception: Interception | undefined;
  if (intercepting) {
    try {
      const given: InterceptOptions = options.intercept === true ? {} : (options.intercept as InterceptOptions);
      // The recorder's own address is served too: an SDK that read OPENAI_BASE_URL from \`traceforge record\` is then this cassette's.
      const hosts = outer ? [...(given.hosts ?? []), new URL(outer).host] : given.hosts;
      interception = await startInterception(replay.url, { ...given, ...(hosts ? { hosts } : {}) }, env, virtual);
    } catch (e) {
      virtual?.close();
      await replay.close();
      await recorder?.close();
      throw e;
    }
  }
  let closing: Promise<void> | undefined;
  const entry: OpenSession = {
    path,
    owner,
    // Once: a session closed for being left open by an earlier file may be closed again by its own code.
    close: () =>
      (closing ??= (async () => {
        openSessions.delete(entry);
        interception?.stop();
        virtual?.close();
        await replay.close();
        await recorder?.close();
        if (failed.length > 0) throw notSavedError(failed.splice(0));
      })()),
  };
  openSessions.add(entry);
  markSwept(swept, clock);
  return {
    url: replay.url,
    mode,
    get misses() {
      return virtual ? [...virtual.misses, ...replay.misses] : replay.misses;
    },
    warnings: replay.warnings,
    recorded,
    missingFile,
    existed: exists,
    recordingTo: records ? (viaOuter ? `the traceforge record proxy at ${outer}${outerWrites ? ', which writes the cassette' : ''}` : (upstream ?? 'the hosts the app calls')) : undefined,
    blocked: interception?.blocked ?? [],
    lateness: () => replay.lateness(),
    clock,
    setRunning: (running) => virtual?.driver.setRunning(running),
    close: () => entry.close(),
  };
}

const TRACES_FIX = 'the traces option (traces: false for none)';

interface NotSaved {
  trace: Trace;
  error: TraceForgeError;
}

/** One line for the calls whose recording was not written: how many, the first, and each distinct reason (each names its path). */
function notSavedError(failed: NotSaved[]): TraceForgeError {
  const first = failed[0]!;
  const distinct = [...new Set(failed.map((f) => f.error.message))];
  const reasons = distinct.length > 3 ? [...distinct.slice(0, 3), `and ${distinct.length - 3} more (error.detail.failed lists each)`] : distinct;
  const calls = new Set(failed.map((f) => f.trace)).size;
  return new TraceForgeError(
    first.error.code,
    `could not save ${calls} recorded call(s) (the first: ${first.trace.http.method} ${shortText(first.trace.http.url)}): ${reasons.join('; ')}`,
    { cause: first.error.cause ?? first.error, detail: { failed: failed.map((f) => ({ id: f.trace.id, message: f.error.message })) } },
  );
}

/** What a missing cassette in a mode that does not record says: that the file is not there, and how to make it. */
export function missingCassetteMessage(path: string, mode: RecordMode, env: NodeJS.ProcessEnv): string {
  const shown = shortText(path);
  const abs = shortText(resolvePath(path));
  const why = mode === 'none' ? `record mode is "none"${env.TRACEFORGE_RECORD ? ' (TRACEFORGE_RECORD)' : env.CI ? ' (CI is set)' : ''}, which never records` : `record mode is "${mode}"`;
  return (
    `cassette ${shown} does not exist (looked for ${abs}); ${why}. Check the path, or record it once outside CI: ` +
    `TRACEFORGE_RECORD=once npx vitest run (calls go to the providers' real hosts; add TRACEFORGE_UPSTREAM=URL to send them all to one server instead), ` +
    `or \`npx traceforge record --cassette ${shown} -- <command>\`, then commit the file`
  );
}

const isDirectory = (dir: string): Promise<boolean> => stat(dir).then((info) => info.isDirectory(), () => false);

/** Why a new cassette in a directory that does not exist is not recorded when no one chose the mode, and the two ways on. */
function typoGuardMessage(path: string, mode: RecordMode, to: string): string {
  const shown = shortText(path);
  const dir = dirname(path);
  return (
    `cassette ${shown} does not exist and neither does its directory ${shortText(dir)} (${shortText(dirname(resolvePath(path)))}): not recording into it, ` +
    `since a mistyped path would send the calls to ${shortText(to)} for real (record mode "${mode}" is only the default). Check the path; ` +
    `to record a new cassette there, create the directory (mkdir -p ${shortText(dir)}) or choose the mode (the mode option, or TRACEFORGE_RECORD=${mode})`
  );
}
