/**
 * How long the stamping thread's event loop was held up while each call was in flight. A timer asks
 * to run every INTERVAL ms; when it runs late, the loop was busy (or paused for GC) for that long, and
 * any read that arrived meanwhile was stamped up to that late. Each call in flight keeps the worst it saw.
 */
const INTERVAL_MS = 5;
// Node fires timers on whole milliseconds: up to 1 ms late on a quiet loop is the timer, not a delay.
const TIMER_SLACK_MS = 1;

export interface LoopDelayWatch {
  /** Start watching for one call; the returned function stops and gives the worst delay in ms. */
  begin(): () => number;
  stop(): void;
}

export function watchLoopDelay(): LoopDelayWatch {
  const open = new Set<{ worst: number }>();
  let last = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    const now = performance.now();
    const late = Math.max(0, now - last - INTERVAL_MS - TIMER_SLACK_MS);
    last = now;
    if (late > 0) for (const w of open) if (late > w.worst) w.worst = late;
  };
  const ensure = (): void => {
    if (timer) return;
    last = performance.now();
    timer = setInterval(tick, INTERVAL_MS);
    timer.unref();
  };
  return {
    begin() {
      ensure();
      const w = { worst: 0 };
      open.add(w);
      return () => {
        // A stall still going on when the call ends has not been seen by a tick yet.
        const pending = Math.max(0, performance.now() - last - INTERVAL_MS - TIMER_SLACK_MS);
        open.delete(w);
        if (open.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
        return Math.max(w.worst, pending);
      };
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      open.clear();
    },
  };
}
