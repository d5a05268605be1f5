/** Time source for the replay animation; tests pass a manual clock and advance it by hand. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8, 16] as const;

export interface ReplayState {
  /** Chunks shown so far. */
  shown: number;
  total: number;
  /** Recorded-time position, ms since the request left. */
  at: number;
  /** Recorded time of the last chunk. */
  end: number;
  speed: number;
  playing: boolean;
  paused: boolean;
  done: boolean;
}

// While nothing arrives (TTFB, a stall) the clock still ticks at this rate so elapsed time keeps moving on screen.
const HEARTBEAT_MS = 100;

/**
 * Plays chunk arrival times back against an absolute timeline: chunk i is due when the recorded-time
 * position reaches `offsets[i]`, and the position is `base + (now - since) * speed`. Pausing and speed
 * changes re-base the timeline instead of shifting relative sleeps, so nothing drifts.
 */
export class ReplayController {
  private base = 0;
  private since = 0;
  private timer: unknown;
  private state: ReplayState;

  constructor(
    private readonly offsets: readonly number[],
    private readonly clock: Clock,
    private readonly onTick: (s: Readonly<ReplayState>) => void,
  ) {
    const end = offsets.at(-1) ?? 0;
    this.state = { shown: 0, total: offsets.length, at: 0, end, speed: 1, playing: false, paused: false, done: false };
  }

  get snapshot(): Readonly<ReplayState> {
    return { ...this.state };
  }

  /** Start from the first chunk (again). */
  start(): void {
    this.cancel();
    Object.assign(this.state, { shown: 0, at: 0, playing: true, paused: false, done: false });
    this.base = 0;
    this.since = this.clock.now();
    this.tick();
  }

  togglePause(): void {
    if (!this.state.playing) return;
    if (this.state.paused) {
      this.state.paused = false;
      this.since = this.clock.now();
      this.tick();
    } else {
      this.base = this.position();
      this.state.paused = true;
      this.cancel();
      this.onTick(this.snapshot);
    }
  }

  /** Step the speed up (+1) or down (-1) the ladder, keeping the current position. */
  changeSpeed(step: 1 | -1): void {
    const i = SPEEDS.indexOf(this.state.speed as (typeof SPEEDS)[number]);
    const next = SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, i + step))]!;
    if (next === this.state.speed) return;
    if (this.state.playing && !this.state.paused) {
      this.base = this.position();
      this.since = this.clock.now();
    }
    this.state.speed = next;
    if (this.state.playing && !this.state.paused) {
      this.cancel();
      this.tick();
    } else this.onTick(this.snapshot);
  }

  stop(): void {
    this.cancel();
    this.state.playing = false;
  }

  private position(): number {
    return this.state.paused ? this.base : this.base + (this.clock.now() - this.since) * this.state.speed;
  }

  private cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tick = (): void => {
    this.timer = undefined;
    const s = this.state;
    s.at = Math.min(this.position(), s.end);
    // Re-basing on pause and speed changes leaves float dust; a chunk within a nanosecond is due now.
    while (s.shown < s.total && this.offsets[s.shown]! <= s.at + 1e-6) s.shown++;
    if (s.shown >= s.total) {
      Object.assign(s, { at: s.end, playing: false, done: true });
      this.onTick(this.snapshot);
      return;
    }
    this.onTick(this.snapshot);
    const wait = (this.offsets[s.shown]! - this.position()) / s.speed;
    // At least 10 µs, so time always moves between ticks.
    this.timer = this.clock.setTimeout(this.tick, Math.max(0.01, Math.min(HEARTBEAT_MS, wait)));
  };
}

/** A clock for tests: time moves only when `advance` is called, firing due timers in order. */
export function createManualClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      timers.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout(h) {
      timers.delete(h as number);
    },
    advance(ms) {
      const target = now + ms;
      // A scheduler bug must fail the test, not hang it.
      for (let fired = 0; ; fired++) {
        if (fired > 100_000) throw new Error('manual clock: timers keep firing without time passing');
        const due = [...timers.entries()].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
        if (!due) break;
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].fn();
      }
      now = target;
    },
  };
}
