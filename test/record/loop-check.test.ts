/**
 * mockttp's passthrough loop check compares the client's address:port with its own upstream
 * connections' local address:port; on loopback the kernel reuses port numbers across destinations,
 * so busy recorders failed real calls as "loops". Real loops are caught by URL instead.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as mockttp from 'mockttp';
import { afterEach, describe, expect, it } from 'vitest';
import { disablePortLoopCheck } from '../../src/record/loop-check.js';
import { startRecorder, type Recorder } from '../../src/record/recorder.js';
import type { Trace } from '../../src/trace/types.js';

// Not exported by mockttp: loaded by path, next to its entry point.
const require = createRequire(import.meta.url);
const { isSocketLoop } = require(join(dirname(require.resolve('mockttp')), 'util', 'socket-util.js')) as {
  isSocketLoop: (outgoing: Set<Socket>, incoming: { remoteAddress: string; remotePort: number }) => boolean;
};

type Step = { outgoingSockets: Set<Socket> };
const stepsOf = (server: mockttp.Mockttp): Step[] =>
  Object.values((server as unknown as { requestRuleSets: Record<string, Array<{ steps: Step[] }>> }).requestRuleSets).flatMap((rules) => rules.flatMap((r) => r.steps));

/** An upstream that starts a response and holds it open, telling which local port the proxy used to reach it. */
async function holdingUpstream(): Promise<{ url: string; port: Promise<number>; release(): void; close(): Promise<void> }> {
  let seen!: (port: number) => void;
  const port = new Promise<number>((ok) => (seen = ok));
  const held: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"n":1}\n\n');
    held.push(res);
    seen(req.socket.remotePort!);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    port,
    release: () => held.forEach((r) => r.end('data: [DONE]\n\n')),
    close: () => new Promise((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe.each([
  ['as mockttp ships', false, true],
  ['with disablePortLoopCheck', true, false],
])('a client whose port equals the proxy-to-upstream port, %s', (_name, fix, looksLikeLoop) => {
  it(`is ${looksLikeLoop ? '' : 'not '}taken for a loop`, async () => {
    const upstream = await holdingUpstream();
    cleanups.push(upstream.close);
    const proxy = mockttp.getLocal({ http2: false, cors: false, recordTraffic: false });
    await proxy.forAnyRequest().thenForwardTo(upstream.url);
    await proxy.start(0);
    cleanups.push(() => proxy.stop());
    if (fix) expect(disablePortLoopCheck(proxy)).toBe(1);
    const pending = fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    const port = await upstream.port;
    const [step] = stepsOf(proxy);
    expect(step!.outgoingSockets.size).toBe(1);
    expect(isSocketLoop(step!.outgoingSockets, { remoteAddress: '127.0.0.1', remotePort: port })).toBe(looksLikeLoop);
    upstream.release();
    await (await pending).text();
  });
});

describe('a recorder whose upstream is itself', () => {
  let rec: Recorder | undefined;
  afterEach(async () => {
    await rec?.close();
  });

  // The issue asks for one trace of the recorder's own answer (outcome recorder_refused), kept out of cassettes.
  it('answers 508 naming the loop, records it once as the recorder\'s own answer, and keeps working', async () => {
    const traces: Trace[] = [];
    let self: URL | undefined;
    rec = await startRecorder({ route: () => self, onTrace: (t) => void traces.push(t) });
    self = new URL(rec.url);
    const res = await fetch(`${rec.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"m"}' });
    expect(res.status).toBe(508);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('traceforge_loop');
    expect(body.error.message).toContain(`${self.host}`);
    expect(body.error.message).toContain('--upstream');
    await rec.flush();
    expect(traces).toHaveLength(1);
    expect(traces[0]!.http).toMatchObject({ status: 508, outcome: 'recorder_refused' });
  });
});
