/**
 * Slowloris: headers trickled a byte at a time, a body that never finishes, a connection that sends
 * nothing. The server closes each while it is still sending, and serves good requests meanwhile.
 * Bounds are small here; the trickle would take far longer than them to finish.
 */
import * as mockttp from 'mockttp';
import type { Server } from 'node:net';
import { recorderRig, type RecorderRig } from './servers.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundRequestTime } from '../../src/record/request-bounds.js';
import type { ReplayServer } from '../../src/replay/replay-server.js';
import { openSocket } from './helpers.js';
import { GOOD_TRACE, goodRequest, replayServer } from './servers.js';

const BOUNDS = { headersTimeoutMs: 200, requestTimeoutMs: 400 };
const HEAD = `POST ${GOOD_TRACE.http.url} HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 64\r\nx-padding: ${'p'.repeat(200)}\r\n\r\n`;

interface Attack {
  name: string;
  /** Bytes sent at once. */
  start: string;
  /** Then one byte of this every 20 ms (some 5 s of sending at most). */
  trickle: string;
}

const ATTACKS: Attack[] = [
  { name: 'headers trickled one byte at a time', start: '', trickle: HEAD },
  { name: 'headers sent, body trickled and never finished', start: HEAD, trickle: `{"model":"${'x'.repeat(50)}` },
  { name: 'headers sent, body never sent', start: HEAD, trickle: '' },
  { name: 'nothing sent at all', start: '', trickle: '' },
  { name: 'a lone P (could be HTTP/2, never decides)', start: 'P', trickle: '' },
];

/** Run the attack until the server closes the connection; resolves with how much of the trickle was still unsent. */
async function attack(port: number, a: Attack): Promise<{ unsent: number; reply: string }> {
  const s = await openSocket(port);
  let reply = '';
  s.on('data', (d) => (reply += d.toString('latin1')));
  s.on('error', () => {});
  if (a.start) s.write(a.start);
  let i = 0;
  const timer = setInterval(() => {
    if (i < a.trickle.length && !s.destroyed) s.write(a.trickle[i++]!);
  }, 20);
  // A safety net far above the bounds: if the server never closes, the attack "wins" and the test fails.
  const giveUp = setTimeout(() => s.destroy(new Error('server never closed the connection')), 8000);
  const closedByServer = await new Promise<boolean>((ok) => {
    s.once('end', () => ok(true));
    s.once('close', () => ok(!s.errored));
  });
  clearInterval(timer);
  clearTimeout(giveUp);
  s.destroy();
  expect(closedByServer, 'the server should close the connection').toBe(true);
  return { unsent: a.trickle.length - i, reply };
}

/** All attacks at once, plus good requests made while they are under way. */
async function underAttack(port: number): Promise<void> {
  const attacks = Promise.all(ATTACKS.map((a) => attack(port, a)));
  const good = await Promise.all([goodRequest(port), goodRequest(port), goodRequest(port)]);
  for (const g of good) expect(g.status).toBe(200);
  const results = await attacks;
  for (const [i, r] of results.entries()) {
    // Closed while the client still had bytes to trickle (for the attacks that trickle).
    if (ATTACKS[i]!.trickle.length > 0) expect(r.unsent, ATTACKS[i]!.name).toBeGreaterThan(0);
    // Never a success answer to a request that did not finish.
    expect(r.reply).not.toMatch(/^HTTP\/1\.1 200/);
  }
  expect((await goodRequest(port)).status).toBe(200);
}

describe('the replay server under slowloris', () => {
  let server: ReplayServer;
  beforeAll(async () => {
    server = await replayServer(BOUNDS);
  });
  afterAll(() => server.close());

  it('closes every slow client and keeps serving', async () => {
    await underAttack(server.port);
  });
});

describe('boundRequestTime on a mockttp server (the recorder serves through one)', () => {
  let proxy: mockttp.Mockttp;
  beforeAll(async () => {
    proxy = mockttp.getLocal({ http2: false, cors: false, recordTraffic: false });
    // Answer only once the whole body is in, like the recorder's pass-through.
    await proxy.forAnyRequest().thenCallback(async (req) => ({ statusCode: 200, json: GOOD_TRACE.response, headers: { 'x-size': String((await req.body.getText())?.length) } }));
    await proxy.start(0);
    expect(boundRequestTime((proxy as unknown as { server: Server }).server, BOUNDS)).toBe(true);
  });
  afterAll(() => proxy.stop());

  it('closes every slow client and keeps serving', async () => {
    await underAttack(proxy.port);
  });

  it('refuses a server that is not httpolyglot-shaped, changing nothing', async () => {
    const { createServer } = await import('node:net');
    expect(boundRequestTime(createServer(), BOUNDS)).toBe(false);
  });
});

describe('the recorder under slowloris', () => {
  let rig: RecorderRig;
  beforeAll(async () => {
    rig = await recorderRig(BOUNDS);
  });
  afterAll(() => rig.close());

  it('closes every slow client and keeps recording', async () => {
    await underAttack(rig.recorder.port);
    await rig.recorder.flush();
    // Only the good requests became traces, all of them complete.
    expect(rig.traces.length).toBe(4);
    expect(rig.traces.every((t) => t.http.outcome === 'complete')).toBe(true);
  });
});
