/**
 * Connections that send nothing at all: Node's headersTimeout starts only at the first byte, so
 * without a bound of its own the replay server kept every idle socket open (20 of 20 after 20 s), and
 * enough of them used up the process's file descriptors and broke other clients.
 */
import { mkdtemp } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayServer } from '../../src/replay/replay-server.js';
import { appendToCassette } from '../../src/store/cassette-file.js';
import { BIN, startCli } from '../record/cli-process.js';
import { openSocket } from './helpers.js';
import { GOOD_BODY, GOOD_TRACE, goodRequest, replayServer } from './servers.js';

const BOUND_MS = 300;

/** Resolves with the ms from now until the server closes `s`, or -1 if it is still open after `waitMs`. */
function closedWithin(s: Socket, waitMs: number): Promise<number> {
  const start = Date.now();
  return new Promise((ok) => {
    if (s.destroyed) return ok(0);
    const giveUp = setTimeout(() => ok(-1), waitMs);
    s.on('error', () => {});
    // Read what the server sends: Node's own timeout check may answer 408 before it closes, and a socket
    // whose unread bytes are buffered never gets to 'end', so it stayed open on our side (CLOSE-WAIT) and
    // looked like a socket the server kept (1 to 117 of 200 in a third of the runs).
    s.resume();
    s.once('close', () => {
      clearTimeout(giveUp);
      ok(Date.now() - start);
    });
  });
}

describe('the replay server with idle connections', () => {
  let server: ReplayServer;
  beforeAll(async () => {
    server = await replayServer({ headersTimeoutMs: BOUND_MS });
  });
  afterAll(() => server.close());

  it('closes sockets that never send a byte within the bound', async () => {
    const sockets = await Promise.all(Array.from({ length: 20 }, () => openSocket(server.port)));
    const times = await Promise.all(sockets.map((s) => closedWithin(s, BOUND_MS + 2000)));
    for (const s of sockets) s.destroy();
    for (const t of times) {
      expect(t, 'an idle socket was still open well after the bound').toBeGreaterThanOrEqual(0);
      expect(t).toBeLessThan(BOUND_MS + 1500);
    }
  });

  it('still answers requests while many idle sockets are open', async () => {
    const idle = await Promise.all(Array.from({ length: 200 }, () => openSocket(server.port)));
    // Room for a busy machine (both cores taken, 200 closes to run): without the bound they stayed open 20 s and more.
    const closed = idle.map((s) => closedWithin(s, BOUND_MS + 8000));
    const answers = await Promise.all(Array.from({ length: 5 }, () => goodRequest(server.port)));
    for (const a of answers) expect(a.status).toBe(200);
    expect((await Promise.all(closed)).every((t) => t >= 0)).toBe(true);
    for (const s of idle) s.destroy();
  });

  it('keeps a connection alive between requests that come within the bound', async () => {
    const s = await openSocket(server.port);
    let text = '';
    s.on('data', (d) => (text += d.toString('latin1')));
    const request = `POST ${GOOD_TRACE.http.url} HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(GOOD_BODY)}\r\n\r\n${GOOD_BODY}`;
    for (let i = 0; i < 3; i++) {
      s.write(request);
      // Each request well inside the bound, but together longer than it: the first request stopped the idle timer.
      await new Promise((ok) => setTimeout(ok, BOUND_MS / 2 + 50));
    }
    expect(s.destroyed).toBe(false);
    expect(text.match(/HTTP\/1\.1 200/g)?.length).toBe(3);
    s.destroy();
  });
});

describe('--headers-timeout on the command line', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tf-idle-cli-'));
    await appendToCassette(join(dir, 'c.yaml'), [GOOD_TRACE]);
  });

  for (const [name, args] of [
    ['replay', ['replay', 'c.yaml', '--port', '0', '--headers-timeout', String(BOUND_MS)]],
    ['record', ['record', '--upstream', 'http://127.0.0.1:9', '--port', '0', '--headers-timeout', String(BOUND_MS)]],
  ] as const) {
    it(`${name} closes an idle socket after the bound it was given`, async () => {
      const cli = startCli(dir, [...args]);
      try {
        const [, port] = await cli.waitFor(/http:\/\/127\.0\.0\.1:(\d+)/);
        const s = await openSocket(Number(port));
        const t = await closedWithin(s, BOUND_MS + 4000);
        s.destroy();
        // The default is 10 s: closing well before that shows the flag took.
        expect(t, cli.stdout + cli.stderr).toBeGreaterThanOrEqual(0);
        expect(t).toBeLessThan(BOUND_MS + 2500);
      } finally {
        cli.child.kill('SIGINT');
        await cli.exited;
      }
    });
  }

  it('a bad value is a usage error', async () => {
    const cli = startCli(dir, ['replay', 'c.yaml', '--headers-timeout', 'soon']);
    const { code } = await cli.exited;
    expect(code).toBe(2);
    expect(cli.stderr).toMatch(/--headers-timeout must be a number from 1 to 2147483647 \(ms; Node's timer limit, about 24\.8 days\), got "soon"/);
  });
});
