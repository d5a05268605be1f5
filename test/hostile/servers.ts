/** A replay server and a recorder (with a counting upstream) for the raw-socket tests. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRecorder, type Recorder, type RecorderOptions } from '../../src/record/recorder.js';
import { startReplayServer, type ReplayServer, type ReplayServerOptions } from '../../src/replay/replay-server.js';
import type { Trace } from '../../src/trace/types.js';
import { makeNonStreamTrace } from '../helpers/make-trace.js';

export const GOOD_TRACE: Trace = makeNonStreamTrace({ id: 'f1b2c3d4e5f6', firstChunkLatencyMs: 1 });
export const GOOD_BODY = JSON.stringify(GOOD_TRACE.request);

/** The request every server here answers: the cassette's one interaction. */
export function goodRequest(port: number): Promise<{ status: number; body: string }> {
  return fetch(`http://127.0.0.1:${port}${GOOD_TRACE.http.url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: GOOD_BODY }).then(async (r) => ({
    status: r.status,
    body: await r.text(),
  }));
}

export function replayServer(extra: Partial<ReplayServerOptions> = {}): Promise<ReplayServer> {
  // repeat: 'last' so every good request matches, however many came before.
  return startReplayServer({ cassette: [GOOD_TRACE], speed: 0, match: { repeat: 'last' }, ...extra });
}

export interface RecorderRig {
  recorder: Recorder;
  /** Requests the upstream received (complete ones). */
  upstreamHits: number;
  traces: Trace[];
  close(): Promise<void>;
}

/** A recorder in front of an upstream that answers every complete request with 200 and its body length. */
export async function recorderRig(options: Pick<RecorderOptions, 'headersTimeoutMs' | 'requestTimeoutMs'> = {}): Promise<RecorderRig> {
  const rig = { upstreamHits: 0, traces: [] as Trace[] } as RecorderRig;
  const upstream: Server = createServer((req, res) => {
    let size = 0;
    req.on('data', (d: Buffer) => (size += d.length));
    req.on('end', () => {
      rig.upstreamHits++;
      const body = JSON.stringify({ ok: true, size });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((ok) => upstream.listen(0, '127.0.0.1', ok));
  rig.recorder = await startRecorder({ upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, onTrace: (t) => void rig.traces.push(t), ...options });
  rig.close = async () => {
    await rig.recorder.close();
    upstream.closeAllConnections();
    await new Promise((ok) => upstream.close(ok));
  };
  return rig;
}
