import type { ServerResponse } from 'node:http';

/**
 * mockttp copies every byte written to a response into a PassThrough for its own body events
 * (`trackResponse` in mockttp src/util/request-utils.ts). With no response listener nothing ever reads
 * that stream, so it holds the whole body until the call ends: a 200 MB stream costs 200 MB more.
 * The recorder has its own tap, so it keeps the plain `write` on the response: mockttp's assignment of
 * its tracking `write` is ignored, and the tracking stream stays empty.
 */
export function skipBodyTracking(res: ServerResponse): void {
  const plain = res.write;
  Object.defineProperty(res, 'write', {
    configurable: true,
    get: () => plain,
    set: () => {},
  });
}
