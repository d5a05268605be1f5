import type { ServerResponse } from 'node:http';

/**
 * The longest a response's end waits for its call to be on disk. Past it the app gets its end anyway
 * (a stuck disk or onTrace must not hang the app) and the call is written when the writer gets to it.
 */
export const HOLD_END_MAX_MS = 10_000;

export interface EndHold {
  /** Send what was held (the last body byte, the end), now. Idempotent. */
  release(): void;
}

/**
 * Hold back the end of a response to the app until `release()`: everything the upstream sent is
 * forwarded as it arrives, except the last body byte (when the length is known) and the end of the
 * message, which are what tell the app the response is complete. The recorder releases them once the
 * call is on disk, so an app that has a whole response knows it is recorded: a crash cannot lose it.
 *
 * Only the response to the app waits: each read was stamped on arrival from the upstream, before it was
 * forwarded, so holding the end changes no recorded time.
 *
 * `hold()` is asked when the last byte (or the end) is written: false sends it at once (a call that is
 * not recorded, or answered by the recorder itself). `onEnd` runs once, when the end is held: the
 * body is complete. `length()` is the body's length when the upstream gave one.
 *
 * mockttp pipes the upstream response into `res` and, after the pipe has ended it, checks that
 * `writableEnded` is true (or it answers 500): a held response says it is ended, as far as anyone but
 * the socket can tell.
 */
export function holdEnd(res: ServerResponse, hold: () => boolean, onEnd: () => void, length: () => number | undefined): EndHold {
  const write = res.write;
  const end = res.end;
  let written = 0;
  let holding = false;
  let released = false;
  let lastByte: Buffer | undefined;
  let endArgs: unknown[] | undefined;
  let timer: NodeJS.Timeout | undefined;

  const start = (): boolean => {
    if (holding) return true;
    if (released || !hold()) return false;
    holding = true;
    timer = setTimeout(release, HOLD_END_MAX_MS);
    return true;
  };
  function release(): void {
    if (released) return;
    released = true;
    holding = false;
    clearTimeout(timer);
    // res.write stays wrapped (skipBodyTracking fixes the property); released, it passes every write through.
    res.end = end;
    delete (res as { writableEnded?: boolean }).writableEnded;
    if (res.destroyed) return;
    if (lastByte) (write as (chunk: Buffer) => boolean).call(res, lastByte);
    if (endArgs) (end as (...a: unknown[]) => void).apply(res, endArgs);
  }

  // Asked once, at the first write: the upstream's headers are in by then.
  let known: { length: number | undefined } | undefined;
  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]): boolean {
    known ??= { length: length() };
    const expected = released ? undefined : known.length;
    if (expected === undefined || !Buffer.isBuffer(chunk) || chunk.length === 0) return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    written += chunk.length;
    if (written < expected || !start()) return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    // The write that completes the body: all of it goes now but its last byte.
    lastByte = chunk.subarray(chunk.length - 1);
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    if (chunk.length > 1) return (write as (chunk: Buffer, cb?: () => void) => boolean).call(this, chunk.subarray(0, chunk.length - 1), cb);
    cb?.();
    return true;
  } as ServerResponse['write'];

  res.end = function (this: ServerResponse, ...args: unknown[]): ServerResponse {
    if (released || !start()) return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
    // A body handed to end() is written now like any other write (its last byte held), the end kept.
    const data = args[0];
    if (data !== undefined && typeof data !== 'function') {
      res.write(data as Buffer, typeof args[1] === 'string' ? (args[1] as BufferEncoding) : 'utf8');
      args = args.filter((a) => typeof a === 'function');
    }
    endArgs = args;
    Object.defineProperty(res, 'writableEnded', { configurable: true, get: () => true });
    onEnd();
    return this;
  } as ServerResponse['end'];

  res.once('close', () => {
    clearTimeout(timer);
    released = true;
    holding = false;
  });
  return { release };
}
