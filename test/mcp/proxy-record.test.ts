/**
 * `traceforge record --upstream <MCP server>` as a proxy: the official client pointed at it records the same
 * session (every call marked), and the cassette replays to the client with the server stopped.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { mcpSessions } from '../../src/mcp/marker.js';
import { loadCassette } from '../../src/store/cassette-file.js';
import { openCassette } from '../../src/session.js';
import { startMain } from '../helpers/run-main.js';
import { runAgent } from './agent.js';
import { startMcpServer } from './mcp-server.js';

it('records an MCP session through the proxy and replays it', async () => {
  const cwd = await mkdtemp(join(tmpdir(), 'tf-mcp-proxy-'));
  const cassette = join(cwd, 'agent.yaml');
  const server = await startMcpServer();
  let recorded;
  try {
    const run = startMain(['record', '--port', '0', '--upstream', new URL(server.url).origin, '--cassette', cassette], { cwd });
    const url = (await run.waitFor(/recording (http:\S+)/))[1]!;
    recorded = await runAgent(`${url}/mcp`);
    await run.waitFor(/● DELETE \/mcp -> 200/);
    run.interrupt();
    expect((await run.exited).code).toBe(0);
  } finally {
    await server.close();
  }
  const sessions = mcpSessions((await loadCassette(cassette)).interactions);
  expect(sessions.map((s) => s.session)).toEqual([recorded.sessionIds[0]]);
  expect(sessions[0]!.calls.map((t) => t.metadata.mcp!.method)).toContain('tools/call');

  const replay = await openCassette(cassette, { mode: 'none', intercept: false, traces: false });
  try {
    const replayed = await runAgent(`${replay.url}/mcp`);
    expect({ ...replayed, sessionIds: [] }).toEqual({ ...recorded, sessionIds: [] });
    expect(replay.misses).toEqual([]);
  } finally {
    await replay.close();
  }
});
