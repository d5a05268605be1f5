/**
 * A fake Gemini Live server (BidiGenerateContent) on `ws`: like Google's, it sends its JSON as binary
 * frames: `setupComplete` for the setup message, then for each `clientContent` turn the answer
 * `echo: <text>` as `serverContent.modelTurn` parts `gapMs` apart and a `turnComplete`.
 */
import { createServer } from 'node:http';
import { listenWs } from '../../src/util/ws-listen.js';
import { WebSocketServer } from 'ws';

export interface GeminiLiveFake {
  port: number;
  /** The `key` query parameter each connection carried. */
  keys: Array<string | null>;
  close(): Promise<void>;
}

export async function startGeminiLiveFake(gapMs = 5): Promise<GeminiLiveFake> {
  const keys: Array<string | null> = [];
  const server = createServer((_req, res) => res.writeHead(426).end());
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    keys.push(new URL(req.url ?? '/', 'http://x').searchParams.get('key'));
    const send = (msg: unknown) => ws.send(Buffer.from(JSON.stringify(msg)), { binary: true });
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as Record<string, any>;
      if (msg.setup) send({ setupComplete: {} });
      else if (msg.clientContent) {
        const text: string = msg.clientContent.turns?.[0]?.parts?.[0]?.text ?? '';
        const pieces = ['echo: ', text];
        pieces.forEach((p, i) => setTimeout(() => send({ serverContent: { modelTurn: { role: 'model', parts: [{ text: p }] } } }), gapMs * (i + 1)));
        setTimeout(() => send({ serverContent: { turnComplete: true }, usageMetadata: { promptTokenCount: 3, responseTokenCount: 2 } }), gapMs * (pieces.length + 1));
      }
    });
  });
  const listening = await listenWs(server, wss);
  return {
    port: listening.port,
    keys,
    close: listening.close,
  };
}
