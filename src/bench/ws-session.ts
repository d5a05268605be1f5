/**
 * WebSocket sessions: how close the recorded frame offsets are to when a local upstream sent them (its
 * own log), how close replayed frames arrive to their recorded offsets, and whether many concurrent
 * replays of one session deliver the same bytes.
 *
 * The upstream waits for the client's `go` frame, then sends `frames` text frames with gaps of 2-8 ms,
 * logging performance.now() just before each send. A client connected through the recorder sends `go`,
 * receives everything and closes. Record error: (recorded offset - recorded offset of the first server
 * frame) against (its send time - the first send time). Replay error: (arrival - arrival of the first
 * server frame) against the recorded gaps, for one client at a time, then `concurrent` clients at once.
 */
import { createServer } from 'node:http';
import { listenWs } from '../util/ws-listen.js';
import { WebSocket, WebSocketServer } from 'ws';
import { startRecorder } from '../record/recorder.js';
import { serveReplay } from '../replay/replay-server.js';
import { createLateness } from '../replay/lateness.js';
import type { Trace } from '../trace/types.js';
import { frameBytes } from '../ws/tape.js';
import type { BenchOptions } from './options.js';
import { fmt, spread, table } from './stats.js';

async function upstream(frames: number): Promise<{ port: number; sent: number[][]; close(): Promise<void> }> {
  const sent: number[][] = [];
  const server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    const log: number[] = [];
    sent.push(log);
    ws.once('message', () => {
      let i = 0;
      let next = performance.now();
      const tick = () => {
        if (i >= frames || ws.readyState !== ws.OPEN) return;
        log.push(performance.now());
        ws.send(JSON.stringify({ type: 'response.output_text.delta', n: i, delta: `token ${i} `.repeat(3) }));
        i++;
        // Deterministic gaps of 2-8 ms, scheduled against absolute times.
        next += 2 + ((i * 37) % 7);
        setTimeout(tick, Math.max(0, next - performance.now()));
      };
      tick();
    });
  });
  const listening = await listenWs(server, wss);
  return {
    port: listening.port,
    sent,
    close: listening.close,
  };
}

/** Send `go`, collect `frames` frames with their arrival times, close. */
function converse(url: string, frames: number): Promise<{ at: number[]; bytes: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const at: number[] = [];
    const bytes: Buffer[] = [];
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'go' })));
    ws.on('message', (data) => {
      at.push(performance.now());
      bytes.push(data as Buffer);
      if (at.length === frames) ws.close(1000, 'done');
    });
    ws.once('close', () => resolve({ at, bytes }));
  });
}

const gaps = (xs: readonly number[]): number[] => xs.map((x) => x - xs[0]!);

export async function benchWsSession(o: BenchOptions): Promise<string> {
  const frames = o.quick ? 100 : 300;
  const concurrent = o.quick ? 50 : 100;
  const up = await upstream(frames);
  const traces: Trace[] = [];
  const rec = await startRecorder({ upstream: `http://127.0.0.1:${up.port}`, onTrace: (t) => void traces.push(t) });
  const recorded = await converse(`ws://127.0.0.1:${rec.port}/v1/realtime?model=bench`, frames);
  await rec.close();
  await up.close();
  const trace = traces[0]!;
  const server = trace.websocket!.frames.filter((f) => f.from === 'server');
  const tape = gaps(server.map((f) => f.at_ms));
  const log = gaps(up.sent[0]!);
  const recordErr = spread(tape.map((t, i) => t - log[i]!));

  const replay = await serveReplay({ cassette: [trace], speed: 1, match: { repeat: 'last' } }, createLateness(), false);
  const url = `${replay.url.replace('http', 'ws')}${trace.http.url}`;
  const singles: number[] = [];
  for (let r = 0; r < (o.quick ? 3 : 10); r++) {
    const got = await converse(url, frames);
    gaps(got.at).forEach((g, i) => singles.push(g - tape[i]!));
  }
  const many = await Promise.all(Array.from({ length: concurrent }, () => converse(url, frames)));
  await replay.close();
  const want = server.map((f) => frameBytes(f));
  const identical = many.filter((m) => m.bytes.length === want.length && m.bytes.every((b, i) => b.equals(want[i]!))).length;
  const concurrentErr = spread(many.flatMap((m) => gaps(m.at).map((g, i) => g - tape[i]!)));
  const single = spread(singles);
  const ms = (n: number) => `${fmt(n)} ms`;
  return [
    `WebSocket session: ${frames} server frames, 2-8 ms apart, recorded through the recorder's relay and replayed (gaps from the first server frame)`,
    table(
      ['', 'p50', 'p99', 'max', 'n'],
      [
        ['recorded offset vs upstream send log', ms(recordErr.p50), ms(recordErr.p99), ms(recordErr.max), recordErr.n],
        ['replayed arrival vs recorded, 1 client', ms(single.p50), ms(single.p99), ms(single.max), single.n],
        [`replayed arrival vs recorded, ${concurrent} at once`, ms(concurrentErr.p50), ms(concurrentErr.p99), ms(concurrentErr.max), concurrentErr.n],
      ],
    ),
    `  ${identical} of ${concurrent} concurrent replays byte-identical to the tape`,
  ].join('\n');
}
