import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { planPlayback } from '../replay/plan.js';
import { loadCassette } from '../store/cassette-file.js';

/**
 * The floor for the cold-start bench: a bare node:http server in a fresh process writing the first
 * interaction's recorded pieces at their absolute offsets after the request (one setTimeout per
 * piece, aimed at `start + offset`), and nothing else. `node dist/bench/floor-replayer.js CASSETTE`
 * prints `listening on URL` once it accepts requests; SIGINT stops it.
 */
const plan = planPlayback((await loadCassette(process.argv[2]!)).interactions[0]!);
const at = (target: number, f: () => void) => setTimeout(f, Math.max(0, target - performance.now()));
const server = createServer({ noDelay: true }, (req, res) => {
  req.resume();
  req.on('end', () => {
    const start = performance.now();
    at(start + plan.headersAt, () => {
      res.writeHead(plan.status, plan.headers);
      res.flushHeaders();
      let i = 0;
      const next = (): void => {
        if (res.destroyed) return;
        if (i === plan.pieces.length) return void res.end();
        const p = plan.pieces[i++]!;
        at(start + p.at, () => {
          if (!res.destroyed) res.write(p.bytes);
          next();
        });
      };
      next();
    });
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
process.once('SIGINT', () => {
  server.close();
  server.closeAllConnections();
});
