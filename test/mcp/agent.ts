/**
 * The app under test: an agent that talks to an MCP server through the official SDK client
 * (`Client` over `StreamableHTTPClientTransport`), unchanged, as it would in production.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';

export interface AgentRun {
  tools: string[];
  counted: string;
  progress: number[];
  asked?: string[];
  sessionIds: string[];
}

/** Connect, list tools, call `count` with progress (and `ask`, answering its sampling request), end the session. */
export async function runAgent(url: string, options: { ask?: boolean } = {}): Promise<AgentRun> {
  const client = new Client({ name: 'agent', version: '1.0.0' }, { capabilities: { sampling: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    const q = req.params.messages[0]?.content;
    const text = q && 'text' in q ? String(q.text) : '';
    return { role: 'assistant', model: 'stub', content: { type: 'text', text: `echo ${text}` } };
  });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  const sessionIds = [transport.sessionId ?? ''];
  try {
    const tools = (await client.listTools()).tools.map((t) => t.name);
    const progress: number[] = [];
    const counted = await client.callTool({ name: 'count', arguments: { n: 3 } }, undefined, { onprogress: (p) => void progress.push(p.progress) });
    const run: AgentRun = { tools, counted: textOf(counted), progress, sessionIds };
    if (options.ask) {
      run.asked = [textOf(await client.callTool({ name: 'ask', arguments: { question: 'ready?' } })), textOf(await client.callTool({ name: 'ask_aside', arguments: { question: 'sure?' } }))];
    }
    await transport.terminateSession();
    return run;
  } finally {
    await client.close();
  }
}

function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((c) => c.text ?? '').join('');
}
