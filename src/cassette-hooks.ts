/**
 * The runner-agnostic part of `useCassette`: what opening, checking after each test and closing a
 * cassette do, and the handle a test file gets. `traceforge/vitest`, `traceforge/node-test` and `traceforge/jest` only
 * register these with their runner's hooks.
 */
import { TraceForgeError } from './errors.js';
import { basename, dirname, join } from 'node:path';
import type { MissExplanation } from './cassette/match.js';
import { resolveRecordMode } from './record-mode.js';
import { busyMachineNote, type LatenessSummary } from './replay/lateness.js';
import { dropWarmRecorder, missingCassetteMessage, openCassette, warmRecorderForRun, type CassetteSession, type CassetteSessionOptions } from './session.js';
import { checkCassettePath } from './store/cassette-file.js';
import { DEFAULT_TRACES_DIR } from './store/trace-store.js';
import { shortText } from './util/one-line.js';

export interface CassetteHandle {
  /** Base URL of the replay server, e.g. `http://127.0.0.1:41234`. Available inside tests. */
  readonly url: string;
  /** The cassette file this handle serves (for `useCassette()` with no path, the one named after the test file). Available inside tests. */
  readonly path: string;
  /** Requests that matched nothing so far. */
  readonly misses: readonly MissExplanation[];
  /**
   * How late the replay server wrote pieces against their recorded times, in ms (`{ count, p50, p99, max }`),
   * so a timing assertion can tell a busy machine from a real change.
   */
  lateness(): LatenessSummary;
}

/** Where `useCassette()` with no path keeps a test file's calls: `__cassettes__/<file name without .ts/.js>.yaml` next to it. */
export function cassettePathFor(testFile: string): string {
  return join(dirname(testFile), '__cassettes__', `${basename(testFile).replace(/\.[cm]?[jt]sx?$/, '')}.yaml`);
}

export interface CassetteHooks {
  /** For the runner's before-all hook. */
  open(): Promise<void>;
  /** For the runner's before-each hook: a test runs, so its own timers may move a virtual clock. */
  begin(): void;
  /** For the runner's after-each hook: throws when the test made requests the cassette could not answer, or calls that were blocked. */
  check(): void;
  /** For the runner's after-all hook. */
  close(): Promise<void>;
  handle: CassetteHandle;
}

/** The line a run that recorded ends with, for each cassette: how many calls, into which file, sent where. */
function recordedSummary(path: string, session: Pick<CassetteSession, 'recorded' | 'existed' | 'mode'>): string | undefined {
  const n = session.recorded.length;
  if (n === 0) return undefined;
  const origins = [...new Set(session.recorded.map((t) => originOf(t.metadata.upstream)))];
  return (
    `traceforge: recorded ${n} call(s) into cassette ${shortText(path)} (${!session.existed ? 'a new file' : session.mode === 'all' ? 'replacing what it held' : 'appended'}; record mode "${session.mode}"), ` +
    `sent to ${origins.join(', ')}; commit it to replay them`
  );
}

function originOf(upstream: string | undefined): string {
  if (!upstream) return 'an unknown host';
  try {
    return new URL(upstream).origin;
  } catch {
    return shortText(upstream);
  }
}

/** What the runners' `useCassette` throws when it is called inside a test (its hooks would never run). */
export function calledInsideTest(explicit: string | undefined): TraceForgeError {
  return new TraceForgeError(
    'E_USAGE',
    `useCassette(${explicit === undefined ? '' : JSON.stringify(explicit)}) was called inside a test: it belongs at the top level of the test file or inside describe(), ` +
      'where it registers the hooks that open the cassette before the tests run and close it after. Move the call out of it()/test().',
  );
}

/** Split `useCassette(path?, options?)` / `useCassette(options)` arguments; a bad path fails here, at the call. */
export function cassetteArgs(pathOrOptions: string | CassetteSessionOptions | undefined, maybeOptions: CassetteSessionOptions = {}): { explicit?: string; options: CassetteSessionOptions } {
  const explicit = typeof pathOrOptions === 'string' ? pathOrOptions : undefined;
  const given = typeof pathOrOptions === 'object' && pathOrOptions !== null ? pathOrOptions : maybeOptions;
  if (explicit !== undefined) checkCassettePath(explicit);
  return {
    explicit,
    options: {
      ...given,
      intercept: given.intercept ?? true,
      traces: given.traces ?? DEFAULT_TRACES_DIR,
      // A cassette named after the test file may not exist because the file makes no calls: only a call fails then.
      missing: given.missing ?? (explicit === undefined ? 'empty' : 'error'),
    },
  };
}

/** A runner's hook registrars, under whatever names the runner gives them; `timeout` in ms, where the runner takes one. */
export interface RunnerHooks {
  beforeAll(fn: () => Promise<void>, timeout: number): unknown;
  afterAll(fn: () => Promise<void>, timeout: number): unknown;
  afterEach(fn: () => void, timeout: number): unknown;
  beforeEach(fn: () => void, timeout: number): unknown;
}

/**
 * How long opening or closing a cassette may take before the runner fails the hook: jest's default of 5 s
 * (vitest's 10 s) is too short for starting a recorder on a machine at load 8 and more. TRACEFORGE_HOOK_TIMEOUT_MS
 * raises it.
 */
export const HOOK_TIMEOUT_MS = 60_000;

function hookTimeout(env: NodeJS.ProcessEnv): number {
  const n = Number(env.TRACEFORGE_HOOK_TIMEOUT_MS);
  return Number.isInteger(n) && n > 0 ? n : HOOK_TIMEOUT_MS;
}

/** Open before the tests, check after each, close after all: the same for every runner. */
export function registerHooks(hooks: CassetteHooks, runner: RunnerHooks, env: NodeJS.ProcessEnv = process.env): CassetteHandle {
  const timeout = hookTimeout(env);
  runner.beforeAll(() => hooks.open(), timeout);
  runner.afterAll(() => hooks.close(), timeout);
  // These two are quick, but vitest fails even a synchronous hook that took longer than the runner's
  // timeout, and a busy machine can stall any function past a short one.
  runner.beforeEach(() => hooks.begin(), timeout);
  runner.afterEach(() => hooks.check(), timeout);
  return hooks.handle;
}

// Loaded by the test file's import of traceforge/vitest, /jest or /node-test, before the app's modules.
warmRecorderForRun();

/** How many `useCassette` calls this module has seen per path: two in one file on one cassette are two recorders. */
const calls = new Map<string, number>();

/**
 * The hooks of one `useCassette` call. `testFile` is asked when the cassette opens: it names the cassette
 * when no path was given, and who records into it (record mode `all` replaces a cassette once per run).
 */
export function cassetteHooks(explicit: string | undefined, options: CassetteSessionOptions, testFile: () => string | undefined): CassetteHooks {
  const nth = (calls.get(explicit ?? '') ?? 0) + 1;
  calls.set(explicit ?? '', nth);
  let session: CassetteSession | undefined;
  let path = explicit ?? '';
  let seen = 0;
  let seenBlocked = 0;
  let opening: Promise<void> | undefined;
  const env = options.env ?? process.env;
  const open = async (): Promise<void> => {
    const file = testFile();
    if (explicit === undefined) {
      if (!file) throw new TraceForgeError('E_USAGE', 'useCassette(): no path was given and the test file is unknown; pass a cassette path');
      path = cassettePathFor(file);
    }
    session = await openCassette(path, { ...options, onNote: options.onNote ?? ((line) => console.warn(line)) }, {
      recordedBy: file && `${file}#${nth}`,
      namedAfterTest: explicit === undefined,
    });
    // Between tests, only the tape moves a virtual clock: an idle interval of the app's must not race ahead.
    session.setRunning(false);
    for (const w of session.warnings) console.warn(`cassette ${path}: ${w}`);
    // A new cassette may be a typo in a path: say so where the user looks.
    if (!session.existed && session.recordingTo) console.warn(`cassette ${path} does not exist yet: record mode "${session.mode}" records the calls made into it, sent to ${session.recordingTo}`);
  };
  return {
    open() {
      opening = open();
      return opening;
    },
    begin() {
      session?.setRunning(true);
    },
    check() {
      session?.setRunning(false);
      const misses = session?.misses ?? [];
      const fresh = misses.slice(seen);
      seen = misses.length;
      const blocked = session?.blocked ?? [];
      const freshBlocked = blocked.slice(seenBlocked);
      seenBlocked = blocked.length;
      const parts: string[] = [];
      if (fresh.length > 0) {
        const head = session?.missingFile
          ? `${missingCassetteMessage(path, resolveRecordMode(options.mode, env, path), env)}.\n${fresh.length} request(s) had nothing to replay`
          : `cassette ${path}: ${fresh.length} request(s) matched no recording`;
        parts.push(`${head}.\n${fresh.map((m) => `- ${m.message}`).join('\n')}`);
      }
      if (freshBlocked.length > 0) parts.push(`${freshBlocked.length} call(s) blocked:\n${freshBlocked.map((m) => `- ${m}`).join('\n')}`);
      // E_REPLAY_MISS with the explanations attached, so a test or a reporter can read them as data.
      if (parts.length > 0) throw new TraceForgeError(fresh.length > 0 ? 'E_REPLAY_MISS' : 'E_USAGE', parts.join('\n'), { detail: { misses: fresh, blocked: freshBlocked } });
    },
    /** Throws, after closing, when calls recorded could not be written (see CassetteSession.close). */
    async close() {
      // An open the runner stopped waiting for (its hook timed out) still ends in a session: close that one too,
      // or it would answer the calls of the files that run next in this process.
      await opening?.catch(() => undefined);
      // A wall-clock replay on a machine too busy for it: a timing assertion that failed may not be the code's fault.
      const note = session?.clock === 'wall' ? busyMachineNote(session.lateness()) : undefined;
      if (note) console.warn(`cassette ${path}: ${note}`);
      await session?.close();
      // A recorder's thread started ahead that no session took (its open failed) goes too.
      dropWarmRecorder();
      const summary = session && recordedSummary(path, session);
      if (summary) console.warn(summary);
    },
    handle: {
      get url() {
        if (!session) throw new TraceForgeError('E_USAGE', 'useCassette(): the URL is available inside tests and hooks (after the cassette opened), not at module load');
        return session.url;
      },
      get path() {
        return path;
      },
      get misses() {
        return session?.misses ?? [];
      },
      lateness() {
        return session?.lateness() ?? { count: 0, p50: 0, p99: 0, max: 0 };
      },
    },
  };
}
