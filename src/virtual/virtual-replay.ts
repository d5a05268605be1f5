/**
 * Replay on the app's own clock, in-process: the interception hands each call here instead of sending
 * it to the replay server's socket, the tape decides the answer (replay/tape.ts, the same as the
 * server's), and every piece reaches the app's HTTP client as an event on the virtual clock.
 */
import type { MatchOptions, MissExplanation } from '../cassette/match.js';
import type { Fault } from '../replay/faults.js';
import type { CassetteInput } from '../replay/interaction-source.js';
import type { Playback } from '../replay/plan.js';
import { openTape } from '../replay/tape.js';
import { acquireClock } from './fake-clock.js';
import { acquireDriver, type Driver } from './driver.js';
import { playOnClock, type ResponseSink } from './play.js';
import { watchChildProcesses } from './child-note.js';

export type { ResponseSink } from './play.js';

export interface VirtualRequest {
  method: string;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
  /** Read after the call's start time is taken: reading it takes no virtual time. */
  body: () => Promise<Buffer>;
}

export interface VirtualReplayOptions {
  cassette: CassetteInput;
  match?: MatchOptions;
  faults: readonly Fault[];
  speed: number;
  /** Misses go on to be recorded (on the wall clock) instead of failing with a 404. */
  records: boolean;
  /** Whether the app's timers alone may move time from the start (outside a test runner). */
  running: boolean;
  /** One line, once per origin, when a call leaves the process while the virtual clock runs. */
  warn: (line: string) => void;
}

export interface VirtualReplay {
  /** Answer in-process; `'forward'` when it is a miss to be recorded (the caller sends it on for real). */
  respond(req: VirtualRequest, sink: ResponseSink): Promise<{ cancel(): void } | 'forward'>;
  /** A call that goes out for real: time follows the wall clock until the returned function is called. */
  leaving(url: URL, why: 'unserved' | 'recorded'): () => void;
  readonly misses: MissExplanation[];
  readonly driver: Driver;
  close(): void;
}

export async function openVirtualReplay(options: VirtualReplayOptions): Promise<VirtualReplay> {
  const tape = await openTape({ cassette: options.cassette, match: options.match, faults: options.faults, keepLoaded: true });
  const clock = acquireClock();
  const driver = acquireDriver(clock.app, { running: options.running });
  const misses: MissExplanation[] = [];
  const warned = new Set<string>();
  let requests = 0;
  let childSaid = false;
  const unwatch = watchChildProcesses((command) => {
    if (childSaid) return;
    childSaid = true;
    options.warn(
      command.startsWith('new Worker(')
        ? `traceforge: clock 'virtual': the worker thread \`${command}\` runs on the wall clock, outside this test's clock; its calls to served hosts go to cassette.url (the replay server, on the wall clock)`
        : `traceforge: clock 'virtual': the child process \`${command}\` runs on the wall clock, outside this test's clock and interception; ` +
            'point it at cassette.url (the replay server, on the wall clock) or run it under `traceforge replay`',
    );
  });
  const fixed = (status: number, headers: Record<string, string>, body: string): Playback => ({
    status,
    statusMessage: '',
    headers: Object.entries(headers).flat(),
    headersAt: 0,
    pieces: [{ at: 0, bytes: Buffer.from(body) }],
    drop: false,
  });
  return {
    misses,
    driver,
    async respond(req, sink) {
      const start = driver.now();
      const release = driver.pause();
      try {
        const number = ++requests;
        const body = await req.body();
        const answer = await tape.answer({ method: req.method, url: req.url.pathname + req.url.search, body, headers: req.headers }, number);
        if (answer.kind === 'miss' && options.records) return 'forward';
        const plan =
          answer.kind === 'play'
            ? answer.plan
            : answer.kind === 'status'
              ? fixed(answer.status, answer.headers, answer.body)
              : (misses.push(answer.miss), fixed(404, { 'content-type': 'application/json' }, JSON.stringify({ error: answer.miss })));
        return playOnClock(plan, sink, driver, start, answer.kind === 'play' ? options.speed : 0);
      } finally {
        release();
      }
    },
    leaving(url, why) {
      if (!warned.has(url.origin)) {
        warned.add(url.origin);
        options.warn(
          why === 'recorded'
            ? `traceforge: clock 'virtual': ${url.origin}${url.pathname} is not on the tape and is being recorded, on the wall clock; the virtual clock follows the wall clock until it is answered. The next run replays it on the virtual clock.`
            : `traceforge: clock 'virtual': a call to ${url.origin}${url.pathname} left the process (it is not served from the cassette), so its answer comes on the wall clock and the virtual clock follows the wall clock until it is answered. ` +
                `Serve it from the cassette with intercept: { hosts: ['${url.host}'] }, or use clock: 'wall' for this file.`,
        );
      }
      return driver.holdToWall();
    },
    close() {
      unwatch();
      driver.stop();
      clock.release();
    },
  };
}
