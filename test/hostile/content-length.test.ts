/**
 * Requests whose framing lies, sent over a raw socket: each is answered 400 (or the connection is
 * closed) and the server goes on serving the next good request. Nothing reaches the recorder's upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayServer } from '../../src/replay/replay-server.js';
import { rawExchange, statusOf } from './helpers.js';
import { GOOD_TRACE, goodRequest, recorderRig, replayServer, type RecorderRig } from './servers.js';

const head = (framing: string) => `POST ${GOOD_TRACE.http.url} HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n${framing}\r\n`;

/** Each lie, and whether the client half-closes after sending it (a body that will never come). */
const LIES: Array<{ name: string; bytes: string; end?: boolean }> = [
  { name: 'non-numeric', bytes: `${head('Content-Length: abc\r\n')}{}` },
  { name: 'negative', bytes: `${head('Content-Length: -5\r\n')}{}` },
  { name: 'plus sign', bytes: `${head('Content-Length: +2\r\n')}{}` },
  { name: 'two values in one header', bytes: `${head('Content-Length: 2, 5\r\n')}{}` },
  { name: 'two conflicting headers', bytes: `${head('Content-Length: 2\r\nContent-Length: 5\r\n')}{}` },
  { name: 'beyond 2^64', bytes: `${head('Content-Length: 99999999999999999999999\r\n')}{}` },
  { name: 'with transfer-encoding', bytes: `${head('Content-Length: 2\r\nTransfer-Encoding: chunked\r\n')}2\r\n{}\r\n0\r\n\r\n` },
  { name: 'larger than the body, then the client closes', bytes: `${head('Content-Length: 100\r\n')}{}`, end: true },
  { name: 'smaller than the body (the rest is not HTTP)', bytes: `${head('Content-Length: 1\r\n')}{}` },
];

describe('the replay server and a lying content-length', () => {
  let server: ReplayServer;
  beforeAll(async () => {
    server = await replayServer();
  });
  afterAll(() => server.close());

  for (const lie of LIES) {
    it(`${lie.name}: 400 or closed, then the next request is served`, async () => {
      const reply = await rawExchange(server.port, lie.bytes, { end: lie.end });
      // The reply ends in a 400 (after any answer to a well-framed first part), or the connection just closes.
      expect(reply === '' || /HTTP\/1\.1 400 Bad Request\r\n[^]*$/.test(reply), reply).toBe(true);
      expect(statusOf(reply)).not.toBe(200);
      const next = await goodRequest(server.port);
      expect(next.status).toBe(200);
      expect(JSON.parse(next.body)).toEqual(GOOD_TRACE.response);
    });
  }

  it('served only the good requests', () => {
    expect(server.served).toHaveLength(LIES.length);
  });
});

describe('the recorder and a lying content-length', () => {
  let rig: RecorderRig;
  beforeAll(async () => {
    rig = await recorderRig();
  });
  afterAll(() => rig.close());

  for (const lie of LIES) {
    it(`${lie.name}: 400 or closed, nothing forwarded, then the next request is recorded`, async () => {
      const hits = rig.upstreamHits;
      const reply = await rawExchange(rig.recorder.port, lie.bytes, { end: lie.end });
      expect(reply === '' || statusOf(reply) === 400, reply).toBe(true);
      const next = await goodRequest(rig.recorder.port);
      expect(next.status).toBe(200);
      await rig.recorder.flush();
      // Only the good request reached the upstream, whole.
      expect(rig.upstreamHits).toBe(hits + 1);
      expect(JSON.parse(next.body)).toEqual({ ok: true, size: Buffer.byteLength(JSON.stringify(GOOD_TRACE.request)) });
      const last = rig.traces.at(-1)!;
      expect(last.http.outcome).toBe('complete');
      expect(last.request).toEqual(GOOD_TRACE.request);
    });
  }

  it('a request that never finished arriving leaves no trace: it never reached the upstream', async () => {
    const cut = LIES.filter((l) => l.end);
    expect(cut.length).toBeGreaterThan(0);
    await rig.recorder.flush();
    const before = rig.traces.length;
    for (const lie of cut) await rawExchange(rig.recorder.port, lie.bytes, { end: lie.end });
    await goodRequest(rig.recorder.port);
    await rig.recorder.flush();
    expect(rig.traces.slice(before).map((t) => `${t.http.outcome} ${t.http.status}`)).toEqual(['complete 200']);
  });
});
