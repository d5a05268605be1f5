import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { planPlayback } from '../replay/plan.js';
import type { Trace } from '../trace/types.js';

/** A relative sleep, as the baseline paces: each timer's lateness adds to the next. */
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The baseline: the same recorded trace replayed with chained relative sleeps (`setTimeout(delta)`
 * after each write), the way most replayers pace a stream. Each timer's lateness adds up.
 */
export async function startNaiveReplayer(trace: Trace): Promise<{ url: string; close(): Promise<void> }> {
  const plan = planPlayback(trace);
  const server = createServer({ noDelay: true }, (req, res) => {
    req.resume();
    req.on('end', async () => {
      await sleep(plan.headersAt);
      res.writeHead(plan.status, plan.headers);
      res.flushHeaders();
      let prev = plan.headersAt;
      for (const piece of plan.pieces) {
        await sleep(piece.at - prev);
        prev = piece.at;
        if (res.destroyed) return;
        res.write(piece.bytes);
      }
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
