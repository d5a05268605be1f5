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
  pending.push(driver.at(when(plan.headersAt), () => sink.head(plan.status, plan.statusMessage, plan.headers)));
  for (const p of plan.pieces) {
    const bytes = p.bytes;
    if (bytes.length > 0) pending.push(driver.at(when(p.at, p.extraMs), () => sink.data(bytes)));
  }
  const last = plan.pieces[plan.pieces.length - 1];
  const endAt = last ? when(last.at, last.extraMs) : when(plan.headersAt);
  // A cut comes after the app has read what arrived with it, as a socket's close follows its last bytes.
  pending.push(driver.at(endAt, () => (plan.drop ? sink.cut() : sink.end()), plan.drop));
  return {
    cancel() {
      for (const p of pending) p.cancel();
    },
  };
}
