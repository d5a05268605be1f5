/**
 * An agent calling a real MCP server (the official SDK on both sides) through useCassette's interception:
 * recorded once with the server up, replayed with it stopped.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCassette } from '../../src/store/cassette-file.js';
import { mcpSessions } from '../../src/mcp/marker.js';
import { openCassette } from '../../src/session.js';
import type { Trace } from '../../src/trace/types.js';
import { runAgent, type AgentRun } from './agent.js';
import { startMcpServer, type LocalMcpServer } from './mcp-server.js';

let server: LocalMcpServer;
let path: string;
let recorded: AgentRun;

const interactions = async (file: string): Promise<Trace[]> => (await loadCassette(file)).interactions;

beforeAll(async () => {
  server = await startMcpServer();
  path = join(await mkdtemp(join(tmpdir(), 'tf-mcp-')), 'agent.yaml');
  const session = await openCassette(path, { mode: 'all', intercept: { hosts: [server.host] }, traces: false });
  try {
    recorded = await runAgent(server.url, { ask: true });
  } finally {
    await session.close();
    await server.close();
  }
});

describe('recording', () => {
  it('keeps every POST, GET and DELETE of the session, marked as one MCP session in the order the requests started', async () => {
    expect(recorded.progress).toEqual([1, 2, 3]);
    const traces = await interactions(path);
    const sessions = mcpSessions(traces);
    expect(sessions).toHaveLength(1);
    const [only] = sessions;
    expect(only!.session).toBe(recorded.sessionIds[0]);
    const methods = only!.calls.map((t) => t.metadata.mcp!.method);
    // The SDK opens its GET stream without awaiting it: it starts after `initialized`, anywhere before the DELETE.
    expect(methods.filter((m) => m !== 'stream')).toEqual(['initialize', 'notifications/initialized', 'tools/list', 'tools/call', 'tools/call', 'response', 'end']);
    expect(methods.indexOf('stream')).toBeGreaterThan(methods.indexOf('notifications/initialized'));
    expect(only!.calls.filter((t) => t.metadata.mcp!.method === 'tools/call').map((t) => t.metadata.mcp!.name)).toEqual(['count', 'ask']);
    // The progress notifications are timed events of the tool call's stream.
    const count = only!.calls.find((t) => t.metadata.mcp!.name === 'count')!;
    expect(count.chunks!.map((c) => (c.data as { method?: string }).method ?? 'result')).toEqual(['notifications/progress', 'notifications/progress', 'notifications/progress', 'result']);
    expect(count.stream_duration_ms!).toBeGreaterThan(20);
    expect(await readFile(path, 'utf8')).toContain('mcp:');
  });
});
