/**
 * A fake OpenAI Realtime server (GA event names) on `ws`: `session.created` on connect, `session.updated`
 * for `session.update`, `conversation.item.created` for `conversation.item.create`, and for
 * `response.create` a response whose text is `echo: <the last user text>`, as `response.created`, a
 * `response.output_text.delta` per word `gapMs` apart, `response.output_text.done` and `response.done`.
 * It logs when it sent each frame (performance.now()), to compare a replay's timing with.
 */
import { createServer, type Server } from 'node:http';
import { listenWs } from '../../src/util/ws-listen.js';
import { WebSocketServer, type WebSocket } from 'ws';

export interface RealtimeFake {
  url: string;
  port: number;
  /** Every frame the fake sent or received, with its time, per connection. */
  log: Array<{ conn: number; dir: 'sent' | 'received'; at: number; type: string }>;
  /** The Authorization header each connection carried. */
  auth: Array<string | undefined>;
  close(): Promise<void>;
}

let ids = 0;
const id = (p: string) => `${p}_${(++ids).toString(36).padStart(6, '0')}`;

export async function startRealtimeFake(options: { gapMs?: number; binary?: boolean } = {}): Promise<RealtimeFake> {
  const gap = options.gapMs ?? 5;
  const log: RealtimeFake['log'] = [];
  const auth: RealtimeFake['auth'] = [];
  const server: Server = createServer((_req, res) => res.writeHead(426).end());
  const wss = new WebSocketServer({ server, perMessageDeflate: false, handleProtocols: (set) => (set.has('realtime') ? 'realtime' : false) });
  let conns = 0;
  wss.on('connection', (ws: WebSocket, req) => {
    const conn = ++conns;
    auth.push(req.headers.authorization);
    const send = (event: Record<string, unknown>) => {
      const body = JSON.stringify({ event_id: id('event'), ...event });
      ws.send(options.binary ? Buffer.from(body) : body, { binary: options.binary === true });
      log.push({ conn, dir: 'sent', at: performance.now(), type: String(event.type) });
    };
    const model = new URL(req.url ?? '/', 'http://x').searchParams.get('model');
    const session = { id: id('sess'), object: 'realtime.session', type: 'realtime', model, output_modalities: ['text'], instructions: '' };
    send({ type: 'session.created', session });
    let lastText = '';
    ws.on('message', (data) => {
      const event = JSON.parse(data.toString()) as Record<string, any>;
      log.push({ conn, dir: 'received', at: performance.now(), type: String(event.type) });
      if (event.type === 'session.update') {
        Object.assign(session, event.session);
        send({ type: 'session.updated', session });
      } else if (event.type === 'conversation.item.create') {
        lastText = event.item?.content?.[0]?.text ?? '';
        send({ type: 'conversation.item.created', previous_item_id: null, item: { id: id('item'), ...event.item, status: 'completed' } });
      } else if (event.type === 'response.create') {
        const response = { id: id('resp'), object: 'realtime.response', status: 'in_progress', output: [] };
        const itemId = id('item');
        send({ type: 'response.created', response });
        const words = `echo: ${lastText}`.split(' ');
        words.forEach((w, i) => {
          setTimeout(() => {
            if (ws.readyState !== ws.OPEN) return;
            send({ type: 'response.output_text.delta', response_id: response.id, item_id: itemId, output_index: 0, content_index: 0, delta: i === 0 ? w : ` ${w}` });
            if (i === words.length - 1) {
              send({ type: 'response.output_text.done', response_id: response.id, item_id: itemId, output_index: 0, content_index: 0, text: words.join(' ') });
              send({ type: 'response.done', response: { ...response, status: 'completed', output: [{ id: itemId, type: 'message', role: 'assistant', content: [{ type: 'output_text', text: words.join(' ') }] }] } });
            }
          }, gap * (i + 1));
        });
      } else if (event.type === 'close.please') ws.close(4000, 'asked to');
    });
  });
  const listening = await listenWs(server, wss);
  const { port } = listening;
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    log,
    auth,
    close: listening.close,
  };
}
