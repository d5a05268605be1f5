/**
 * A FIFO of jobs run one per event-loop turn (setImmediate), so a burst of jobs interleaves with
 * I/O instead of holding the loop until all are done.
 */
export function oneAtATime(): { push(job: () => void): void } {
  const queue: Array<() => void> = [];
  let head = 0;
  let scheduled = false;
  const run = (): void => {
    const job = queue[head++];
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    }
    scheduled = queue.length > head;
    if (scheduled) setImmediate(run);
    job?.();
  };
  return {
    push(job) {
      queue.push(job);
      if (!scheduled) {
        scheduled = true;
        setImmediate(run);
      }
    },
  };
}
