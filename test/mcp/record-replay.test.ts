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
import { openCassette, type CassetteSession } from '../../src/session.js';
import { runMain } from '../helpers/run-main.js';
import type { Trace } from '../../src/trace/types.js';
import { runAgent, type AgentRun } from './agent.js';
import { startMcpServer, type LocalMcpServer } from './mcp-server.js';

let server: LocalMcpServer;
let path: string;
let recorded: AgentRun;
/** A project whose .ai-tests/traces holds a trace file per recorded call. */
let project: string;

const interactions = async (file: string): Promise<Trace[]> => (await loadCassette(file)).interactions;

beforeAll(async () => {
  server = await startMcpServer();
  project = await mkdtemp(join(tmpdir(), 'tf-mcp-'));
  path = join(project, 'agent.yaml');
  const session = await openCassette(path, { mode: 'all', intercept: { hosts: [server.host] }, traces: join(project, '.ai-tests', 'traces') });
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
    expect(methods.filter((m) => m !== 'stream')).toEqual(['initialize', 'notifications/initialized', 'tools/list', 'tools/call', 'tools/call', 'response', 'tools/call', 'response', 'end']);
    expect(methods.indexOf('stream')).toBeGreaterThan(methods.indexOf('notifications/initialized'));
    expect(only!.calls.filter((t) => t.metadata.mcp!.method === 'tools/call').map((t) => t.metadata.mcp!.name)).toEqual(['count', 'ask', 'ask_aside']);
    expect(recorded.asked).toEqual(['the client said: echo ready?', 'the client said: echo sure?']);
    // The progress notifications are timed events of the tool call's stream.
    const count = only!.calls.find((t) => t.metadata.mcp!.name === 'count')!;
    expect(count.chunks!.map((c) => (c.data as { method?: string }).method ?? 'result')).toEqual(['notifications/progress', 'notifications/progress', 'notifications/progress', 'result']);
    expect(count.stream_duration_ms!).toBeGreaterThan(20);
    expect(await readFile(path, 'utf8')).toContain('mcp:');
  });
});

describe('browsing', () => {
  it('trace list and trace view show the session\'s calls as tool calls: method, tool, duration, result size', async () => {
    const list = await runMain(['trace', 'list', '--json'], { cwd: project });
    expect(list.code, list.stderr).toBe(0);
    const rows = (JSON.parse(list.stdout) as Array<{ id: string; mcp?: { method: string; name?: string }; duration_ms: number }>).filter((r) => r.mcp?.method === 'tools/call');
    expect(rows.map((r) => r.mcp!.name).sort()).toEqual(['ask', 'ask_aside', 'count']);
    const table = await runMain(['trace', 'list'], { cwd: project });
    expect(table.stdout).toContain('MCP tools/call "count"');
    const count = rows.find((r) => r.mcp!.name === 'count')!;
    const view = await runMain(['trace', 'view', count.id, '--text'], { cwd: project });
    expect(view.code, view.stderr).toBe(0);
    expect(view.stdout).toMatch(/MCP\s+tools\/call "count"/);
    expect(view.stdout).toMatch(new RegExp(`Session\\s+${recorded.sessionIds[0]}`));
    // {"content":[{"type":"text","text":"counted to 3"}]}
    expect(view.stdout).toMatch(/Result\s+51 bytes/);
    // The call's events on its timeline: each progress notification, then the result.
    expect(view.stdout).toMatch(/notifications\/progress 1\/3[\s\S]*notifications\/progress 3\/3[\s\S]*result \{"content"/);
  });
});

describe('replay with the server stopped', () => {
  it.each(['wall', 'virtual'] as const)('serves the official client unchanged: tools, progress notifications, the sampling round trips, the GET stream and the DELETE (%s clock)', async (clock) => {
    const session = await openCassette(path, { mode: 'none', clock, intercept: { hosts: [server.host] }, traces: false });
    try {
      const replayed = await runAgent(server.url, { ask: true });
      expect(session.misses.map((m) => m.message)).toEqual([]);
      expect({ ...replayed, sessionIds: [] }).toEqual({ ...recorded, sessionIds: [] });
      // A session id of the replay's own, not the recorded one.
      expect(replayed.sessionIds[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(replayed.sessionIds[0]).not.toBe(recorded.sessionIds[0]);
    } finally {
      await session.close();
    }
  });
});

describe('the replay session, seen from the wire', () => {
  const post = (url: string, body: unknown, sid?: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(sid ? { 'mcp-session-id': sid } : {}) },
      body: JSON.stringify(body),
    });
  const initialize = (id: number | string) => ({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: { sampling: {} }, clientInfo: { name: 'agent', version: '1.0.0' } },
  });
  const dataOf = (sse: string) => sse.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as Record<string, any>);
  // One replay for these tests (each initialises a session of its own), served at its URL.
  let wall: CassetteSession;
  beforeAll(async () => {
    wall = await openCassette(path, { mode: 'none', intercept: false, traces: false });
  });
  afterAll(() => wall?.close());

  it('answers with the client\'s JSON-RPC ids and progress tokens, requires the minted session id, and ends the session on DELETE', async () => {
    const url = `${wall.url}/mcp`;
    const init = await post(url, initialize('first'));
    const sid = init.headers.get('mcp-session-id')!;
    expect(sid).not.toBe(recorded.sessionIds[0]);
    expect(dataOf(await init.text())[0]!.id).toBe('first');
    expect((await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, sid)).status).toBe(202);
    // Without the session id: 400, as the server said it would; with one the replay never minted: 404.
    expect((await post(url, { jsonrpc: '2.0', id: 5, method: 'tools/list' })).status).toBe(400);
    expect((await post(url, { jsonrpc: '2.0', id: 5, method: 'tools/list' }, recorded.sessionIds[0])).status).toBe(404);
    const sent = performance.now();
    const call = await post(url, { jsonrpc: '2.0', id: 41, method: 'tools/call', params: { name: 'count', arguments: { n: 3 }, _meta: { progressToken: 'tok' } } }, sid);
    // Each event's arrival, ms after the request left: never before its recorded offset (a machine under load only makes it later).
    const arrivals: number[] = [];
    let sse = '';
    for await (const piece of call.body!) {
      sse += new TextDecoder().decode(piece);
      while (arrivals.length < (sse.match(/\n\n/g) ?? []).length) arrivals.push(performance.now() - sent);
    }
    const events = dataOf(sse);
    const count = (await interactions(path)).find((t) => t.metadata.mcp?.name === 'count')!;
    let at = count.first_chunk_latency_ms!;
    const offsets = count.chunks!.map((c, i) => (i === 0 ? at : (at += c.delta_ms)));
    expect(arrivals).toHaveLength(offsets.length);
    arrivals.forEach((a, i) => expect(a, `event ${i}: arrived at ${a.toFixed(1)} ms, recorded at ${offsets[i]!.toFixed(1)} ms`).toBeGreaterThanOrEqual(offsets[i]! - 2));
    expect(events.map((e) => e.params?.progressToken ?? e.id)).toEqual(['tok', 'tok', 'tok', 41]);
    expect(events.at(-1)!.result.content[0].text).toBe('counted to 3');
    // The GET stream stays open until the DELETE ends the session.
    const get = await fetch(url, { headers: { accept: 'text/event-stream', 'mcp-session-id': sid } });
    expect(get.status).toBe(200);
    let ended = false;
    const body = get.text().then(() => (ended = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(ended).toBe(false);
    expect((await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': sid } })).status).toBe(200);
    await body;
    expect((await post(url, { jsonrpc: '2.0', id: 6, method: 'tools/list' }, sid)).status).toBe(404);
  });

  it.each(['wall', 'virtual'] as const)('holds what the server said after asking the client (sampling) until the client\'s answer arrives on another POST (%s clock)', async (clock) => {
    // On the virtual clock the calls are answered in-process, through the interception of the server's host.
    const session = clock === 'virtual' ? await openCassette(path, { mode: 'none', clock, intercept: { hosts: [server.host] }, traces: false }) : wall;
    const url = clock === 'virtual' ? server.url : `${wall.url}/mcp`;
    try {
      const sid = (await post(url, initialize(0))).headers.get('mcp-session-id')!;
      await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, sid);
      const call = await post(url, { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'ask', arguments: { question: 'ready?' } } }, sid);
      const reader = call.body!.getReader();
      const text: string[] = [];
      const next = async () => {
        const r = await reader.read();
        if (!r.done) text.push(new TextDecoder().decode(r.value));
        return r.done;
      };
      expect(call.status, session.misses.at(-1)?.message).toBe(200);
      while (!text.join('').includes('sampling/createMessage')) if (await next()) throw new Error(`the stream ended before the sampling request: ${text.join('')}`);
      const asked = dataOf(text.join(''))[0]!;
      // The client takes its time (a human answering an elicitation, a slow model): nothing more comes meanwhile.
      const early = await Promise.race([next().then(() => 'more'), new Promise((r) => setTimeout(() => r('held'), 300))]);
      expect(early).toBe('held');
      const answer = { jsonrpc: '2.0', id: asked.id, result: { role: 'assistant', model: 'stub', content: { type: 'text', text: 'echo ready?' } } };
      expect((await post(url, answer, sid)).status).toBe(202);
      while (!(await next())) if (text.length > 100) throw new Error('the stream did not end');
      const result = dataOf(text.join('')).at(-1)!;
      expect(result.id).toBe(9);
      expect(result.result.content[0].text).toBe('the client said: echo ready?');
    } finally {
      if (session !== wall) await session.close();
    }
  });

  it('a miss names the JSON-RPC method, the tool and the param path that differs', async () => {
    const url = `${wall.url}/mcp`;
    const sid = (await post(url, initialize(0))).headers.get('mcp-session-id')!;
    const miss = await post(url, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'count', arguments: { n: 4 }, _meta: { progressToken: 3 } } }, sid);
    expect(miss.status).toBe(404);
    const message = wall.misses.at(-1)!.message;
    expect(message).toContain('(MCP tools/call "count")');
    expect(message).toMatch(/body\.params\.arguments\.n: recorded 3, received 4/);
    expect(message).not.toMatch(/progressToken|body\.id/);
  });
});
