import type { Playback } from '../replay/plan.js';
import type { Driver } from './driver.js';

/** Where a response played on the virtual clock goes: the app's HTTP client, fed in-process. */
export interface ResponseSink {
  /** Status line and headers ([name, value, name, value, ...], recorded order). */
  head(status: number, statusMessage: string, headers: string[]): void;
  data(bytes: Uint8Array): void;
  end(): void;
  /** The connection was cut (a recorded drop or a drop fault). */
  cut(): void;
}

/**
 * Deliver a playback plan to `sink` on the virtual clock: headers at `start + headersAt`, each piece at
 * `start + at` (divided by `speed`; a stall fault's extra time is not), exactly as the replay server
 * writes them on the wall clock. Returns a cancel for when the app aborts the call.
 */
export function playOnClock(plan: Playback, sink: ResponseSink, driver: Driver, start: number, speed: number): { cancel(): void } {
  const when = (ms: number, extra = 0) => (speed === 0 ? start : start + ms / speed) + extra;
  const pending: Array<{ cancel(): void }> = [];
  let cancelled = false;
  pending.push(driver.at(when(plan.headersAt), () => sink.head(plan.status, plan.statusMessage, plan.headers)));
  const last = plan.pieces[plan.pieces.length - 1];
  const endAt = last ? when(last.at, last.extraMs) : when(plan.headersAt);
  // From piece `from` on, `shift` ms later than recorded: a gate (an MCP client still to answer its server)
  // schedules the rest only once it opens, keeping the recorded gaps from there.
  const opened = new Set<number>();
  const schedule = (from: number, shift: number): void => {
    for (let i = from; i < plan.pieces.length; i++) {
      const p = plan.pieces[i]!;
      if (p.gate && !opened.has(i)) {
        void p.gate.then(() => {
          if (cancelled) return;
          opened.add(i);
          schedule(i, Math.max(shift, driver.now() - when(p.at, p.extraMs)));
        });
        return;
      }
      const bytes = p.bytes;
      if (bytes.length > 0) pending.push(driver.at(when(p.at, p.extraMs) + shift, () => sink.data(bytes)));
    }
    // A cut comes after the app has read what arrived with it, as a socket's close follows its last bytes.
    const finish = () => pending.push(driver.at(Math.max(endAt + shift, driver.now()), () => (plan.drop ? sink.cut() : sink.end()), plan.drop));
    if (plan.holdOpen) void plan.holdOpen.then(() => !cancelled && finish());
    else finish();
  };
  schedule(0, 0);
  return {
    cancel() {
      cancelled = true;
      for (const p of pending) p.cancel();
    },
  };
}
