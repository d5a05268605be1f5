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
const SPIN_WINDOW_MS = 2;

interface Waiter {
  target: number;
  seq: number;
  resolve: () => void;
  isCancelled: () => boolean;
}

/** Binary min-heap on (target, seq): equal targets leave in the order they were scheduled. */
const heap: Waiter[] = [];
let seq = 0;
const before = (a: Waiter, b: Waiter) => a.target < b.target || (a.target === b.target && a.seq < b.seq);

function push(w: Waiter): void {
  heap.push(w);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function pop(): Waiter {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length > 0) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
  return top;
}

let timer: NodeJS.Timeout | undefined;
let timerFor = Infinity;
let spinning = false;

function tick(): void {
  spinning = false;
  const now = performance.now();
  while (heap.length > 0 && (heap[0]!.target <= now || heap[0]!.isCancelled())) pop().resolve();
  arm();
}

function arm(): void {
  if (heap.length === 0 || spinning) return;
  const head = heap[0]!.target;
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
  timer = setTimeout(() => {
    timer = undefined;
    timerFor = Infinity;
    tick();
  }, left - SPIN_WINDOW_MS);
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
    push({ target, seq: seq++, resolve, isCancelled });
    arm();
  });
}
