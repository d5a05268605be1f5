/**
 * Absolute-time waits for replay. Timers alone fire up to a millisecond early or several late, so
 * every wait sleeps on a timer until SPIN_WINDOW_MS before its target and then yields with
 * setImmediate (which still lets I/O for other streams run) until the target passes. Callers
 * schedule every chunk against `start + offset`, never relative to the previous wake-up, so
 * lateness never accumulates.
 *
 * All waits in the process share one wheel: one timer armed for the earliest target and one
 * setImmediate loop that releases every due waiter in target order. With a thousand streams that is
 * one timer and one spin loop instead of a thousand of each.
 */
import { MinHeap } from '../util/min-heap.js';
import { MAX_TIMER_MS } from '../util/real-timers.js';

const SPIN_WINDOW_MS = 2;

interface Waiter {
  target: number;
  seq: number;
  resolve: () => void;
  isCancelled: () => boolean;
}

/** Equal targets leave in the order they were scheduled. */
const heap = new MinHeap<Waiter>((a, b) => a.target < b.target || (a.target === b.target && a.seq < b.seq));
let seq = 0;

let timer: NodeJS.Timeout | undefined;
let timerFor = Infinity;
let spinning = false;

function tick(): void {
  spinning = false;
  const now = performance.now();
  for (let w = heap.peek(); w && (w.target <= now || w.isCancelled()); w = heap.peek()) heap.pop()!.resolve();
  arm();
}

function arm(): void {
  if (heap.size === 0 || spinning) return;
  const head = heap.peek()!.target;
  const left = head - performance.now();
  if (left <= SPIN_WINDOW_MS) {
    if (timer) clearTimeout(timer);
    timer = undefined;
    timerFor = Infinity;
    spinning = true;
    setImmediate(tick);
    return;
  }
  if (timer && timerFor <= head) return;
  if (timer) clearTimeout(timer);
  timerFor = head;
  // Stalls add up, and a slow speed stretches offsets: a target past Node's timer limit is reached in steps.
  timer = setTimeout(() => {
    timer = undefined;
    timerFor = Infinity;
    tick();
  }, Math.min(left - SPIN_WINDOW_MS, MAX_TIMER_MS));
  // The socket being replayed to keeps the process alive; a pending wait alone must not (a long stall fault would delay exit).
  timer.unref();
}

/**
 * Resolve at the absolute `performance.now()` time `target` (or as soon as `isCancelled()` is seen
 * true at a wake-up). Waiters with equal targets resolve in the order they were scheduled.
 *
 * @example
 * const start = performance.now();
 * for (const p of plan.pieces) { await waitUntil(start + p.at); res.write(p.bytes); }
 */
export function waitUntil(target: number, isCancelled: () => boolean = () => false): Promise<void> {
  if (target <= performance.now() || isCancelled()) return Promise.resolve();
  return new Promise((resolve) => {
    heap.push({ target, seq: seq++, resolve, isCancelled });
    arm();
  });
}
