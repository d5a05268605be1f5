/**
 * Idle sockets past the open-files limit: under `ulimit -n 256`, 300 sockets that send nothing used up the
 * server's descriptors and every legitimate request failed until they timed out. The replay server and the
 * recorder now close the oldest idle connection when a new one would take them near the limit.
 * The server runs in a child process with the limit; the idle sockets and the request come from here.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendToCassette } from '../../src/store/cassette-file.js';
import { connectionCap } from '../../src/util/connection-guard.js';
import { watchOutput } from '../helpers/output-watch.js';
import { BIN } from '../record/cli-process.js';
import { openSocket, tempDir } from './helpers.js';
import { GOOD_TRACE, goodRequest } from './servers.js';

const IDLE = 300;

/** `traceforge <args>` under `ulimit -n 256`; resolves with its port once it listens. */
async function limitedCli(cwd: string, args: string[]): Promise<{ port: number; stop(): Promise<void>; output(): string }> {
  const child = spawn('bash', ['-c', 'ulimit -n 256 && exec "$0" "$@"', process.execPath, BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = watchOutput();
  child.stdout.on('data', (d) => out.out(String(d)));
  child.stderr.on('data', (d) => out.err(String(d)));
  const exited = new Promise((ok) => child.on('close', ok));
  const [, port] = await out.waitFor(/http:\/\/127\.0\.0\.1:(\d+)/, exited, () => new Error(`exited early: ${out.stdout}${out.stderr}`));
  return {
    port: Number(port),
    output: () => out.stdout + out.stderr,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Open `n` sockets that send nothing; ones the server refuses or closes are fine. */
async function idleSockets(port: number, n: number): Promise<Socket[]> {
  const open: Socket[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => openSocket(port).catch(() => undefined)));
    for (const s of batch) {
      if (!s) continue;
      s.on('error', () => {});
      open.push(s);
    }
  }
  return open;
}

/** The request answered with 200 within `ms`, retried: one refused at the limit is retried as a client would. */
async function answered(request: () => Promise<{ status: number }>, ms: number): Promise<{ ok: boolean; tries: number; last: string }> {
  const until = Date.now() + ms;
  let tries = 0;
  let last = '';
  while (Date.now() < until) {
    tries++;
    try {
      const r = await request();
      if (r.status === 200) return { ok: true, tries, last };
      last = `status ${r.status}`;
    } catch (e) {
      last = String((e as Error).cause ?? e);
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return { ok: false, tries, last };
}

let dir: Awaited<ReturnType<typeof tempDir>>;
let upstream: Server;
beforeAll(async () => {
  dir = await tempDir('tf-fd-limit-');
  await appendToCassette(`${dir.dir}/c.yaml`, [GOOD_TRACE]);
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{"ok":true}'));
  });
  await new Promise<void>((ok) => upstream.listen(0, '127.0.0.1', ok));
});
afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise((ok) => upstream.close(ok));
  await dir.cleanup();
});

describe(`${IDLE} idle sockets under ulimit -n 256`, () => {
  it('the cap leaves room under the limit', () => {
    expect(connectionCap(256)).toBe(192);
    expect(connectionCap(1024)).toBe(768);
  });

  for (const [name, args] of [
    ['replay', ['replay', 'c.yaml', '--port', '0', '--speed', '0', '--headers-timeout', '60000']],
    ['record', ['record', '--upstream', 'UPSTREAM', '--port', '0', '--headers-timeout', '60000']],
  ] as const) {
    it(`${name} still answers a legitimate request at once`, async () => {
      const given = args.map((a) => (a === 'UPSTREAM' ? `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` : a));
      const cli = await limitedCli(dir.dir, given);
      const idle = await idleSockets(cli.port, IDLE);
      try {
        // Idle sockets are closed only after 60 s here: an answer within 5 s means the server made room.
        const r = await answered(() => goodRequest(cli.port), 5000);
        expect(r, cli.output()).toMatchObject({ ok: true });
        expect(r.tries, `a retry or two is fine, a wait for the idle ones is not: ${r.last}`).toBeLessThanOrEqual(3);
      } finally {
        for (const s of idle) s.destroy();
        await cli.stop();
      }
    });
  }
});
