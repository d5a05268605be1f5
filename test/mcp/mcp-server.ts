/**
 * A real MCP server (the official SDK's McpServer over its StreamableHTTPServerTransport) on 127.0.0.1 and a
 * free port, one transport per session, with the tools an agent test calls: `count` streams a progress
 * notification per step before its result, `ask` asks the client for a sampling completion mid-call.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { InMemoryEventStore } from '@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js';
import { z } from 'zod';

export interface LocalMcpServer {
  readonly url: string;
  readonly host: string;
  /** Requests it answered, by HTTP method. */
  readonly requests: string[];
  close(): Promise<void>;
}

function buildServer(): McpServer {
  const server = new McpServer({ name: 'tf-test-tools', version: '1.0.0' });
  server.registerTool('count', { description: 'counts to n, one progress notification per step', inputSchema: { n: z.number() } }, async ({ n }, extra) => {
    const token = extra._meta?.progressToken;
    for (let i = 1; i <= n; i++) {
      await new Promise((r) => setTimeout(r, 15));
      if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: n } });
    }
    return { content: [{ type: 'text', text: `counted to ${n}` }] };
  });
  // Closes its own stream after the first step (the client resumes with Last-Event-ID), then finishes.
  server.registerTool('pause', { description: 'closes its stream midway, for the client to resume', inputSchema: {} }, async (_args, extra) => {
    const token = extra._meta?.progressToken;
    if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: 1, total: 2 } });
    extra.closeSSEStream?.();
    await new Promise((r) => setTimeout(r, 60));
    if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: 2, total: 2 } });
    return { content: [{ type: 'text', text: 'resumed' }] };
  });
  // On the tool call's own stream (related to the call), or, as servers that call createMessage() alone do, on the GET stream.
  const asker = (aside: boolean) => async ({ question }: { question: string }, extra: { requestId: string | number }) => {
    const answer = await server.server.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: question } }], maxTokens: 50 }, aside ? {} : { relatedRequestId: extra.requestId });
    const text = answer.content.type === 'text' ? answer.content.text : '?';
    return { content: [{ type: 'text' as const, text: `the client said: ${text}` }] };
  };
  server.registerTool('ask', { description: 'asks the client to sample an answer, on the call\'s stream', inputSchema: { question: z.string() } }, asker(false));
  server.registerTool('ask_aside', { description: 'asks the client to sample an answer, on the GET stream', inputSchema: { question: z.string() } }, asker(true));
  return server;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}

/** `resumable`: events are stored, so a closed stream can be resumed (and POST streams start with a priming event). */
export async function startMcpServer(options: { resumable?: boolean } = {}): Promise<LocalMcpServer> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const requests: string[] = [];
  const http: Server = createServer((req, res) => {
    requests.push(req.method ?? '');
    void (async () => {
      const body = req.method === 'POST' ? await readJson(req) : undefined;
      const sid = req.headers['mcp-session-id'];
      let transport = typeof sid === 'string' ? transports.get(sid) : undefined;
      if (!transport) {
        if (typeof sid === 'string') {
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
          return;
        }
        const created = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          ...(options.resumable ? { eventStore: new InMemoryEventStore(), retryInterval: 20 } : {}),
          onsessioninitialized: (id) => void transports.set(id, created),
          onsessionclosed: (id) => void transports.delete(id),
        });
        await buildServer().connect(created);
        transport = created;
      }
      await transport.handleRequest(req, res, body);
    })().catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(e));
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    host: `127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const t of transports.values()) await t.close();
      await new Promise<void>((r) => {
        http.close(() => r());
        http.closeAllConnections();
      });
    },
  };
}
