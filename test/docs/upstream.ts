import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The OpenAI host the docs' examples record from: a chat completions stream whose answer depends on the
 * prompt (so an example that asserts `'Hello!'` can pass as written), plus `GET /v1/models` for axios.
 */
export const ANSWERS: Record<string, string> = {
  'Say hi': 'Hi there, friend!',
  'Say hello': 'Hello!',
};
export const DEFAULT_ANSWER = 'Recorded from the docs upstream, one word per chunk.';

export interface DocsUpstream {
  url: string;
  port: number;
  requests: number;
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const c of req) text += c;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function lastUserText(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? (body.messages as Array<{ role?: string; content?: unknown }>) : [];
  const user = messages.filter((m) => m.role === 'user').at(-1);
  return typeof user?.content === 'string' ? user.content : '';
}

/** Listen on `port` (0 for a free one); EADDRINUSE is the caller's to handle. */
export async function startDocsUpstream(port = 0): Promise<DocsUpstream> {
  const state = { requests: 0 };
  const server: Server = createServer({ noDelay: true }, async (req, res) => {
    state.requests++;
    const path = req.url?.split('?')[0];
    if (req.method === 'GET' && path === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created: 1_764_000_000, owned_by: 'docs' }] }));
      return;
    }
    const body = await readJson(req);
    if (path !== '/v1/chat/completions' || body.stream !== true) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `the docs upstream serves streamed /v1/chat/completions only, not ${req.method} ${req.url}` } }));
      return;
    }
    const model = typeof body.model === 'string' ? body.model : 'gpt-4o-mini';
    const words = (ANSWERS[lastUserText(body)] ?? DEFAULT_ANSWER).match(/\s*\S+/g) ?? [];
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-docs', object: 'chat.completion.chunk', created: 1_764_000_000, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const frames = [chunk({ role: 'assistant', content: '' }), ...words.map((w) => chunk({ content: w })), chunk({}, 'stop'), 'data: [DONE]\n\n'];
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    // A few ms apart: real gaps to record, short enough to replay many times.
    frames.forEach((f, i) =>
      setTimeout(() => {
        if (res.destroyed) return;
        res.write(f);
        if (i === frames.length - 1) res.end();
      }, 20 + i * 4),
    );
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
