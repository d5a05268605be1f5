/** A documented WebSocket tape, replayed: the client frames are sent as recorded and every server frame must come back byte for byte, with its opcode. */
import WebSocket from 'ws';
import type { Trace } from '../../src/trace/types.js';
import { frameBytes } from '../../src/ws/tape.js';

export async function converseWithTape(baseUrl: string, trace: Trace): Promise<Array<{ binary: boolean; bytes: Buffer }>> {
  const session = trace.websocket!;
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}${trace.http.url}`, session.protocol ? [session.protocol] : []);
  const got: Array<{ binary: boolean; bytes: Buffer }> = [];
  const want = session.frames.filter((f) => f.from === 'server').length;
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => {
      for (const f of session.frames) if (f.from === 'client') ws.send(frameBytes(f), { binary: f.opcode === 'binary' });
    });
    ws.on('message', (data, binary) => {
      got.push({ binary, bytes: data as Buffer });
      if (got.length === want) resolve();
    });
    ws.once('close', () => resolve());
  });
  ws.close(1000);
  return got;
}
