/**
 * A server that closes a tool call's stream midway (after a priming event with `retry:`): the official
 * client resumes it with a GET carrying `Last-Event-ID`. Recorded once, replayed with the server stopped.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { expect, it } from 'vitest';
import { loadCassette, writeCassette } from '../../src/store/cassette-file.js';
import { openCassette } from '../../src/session.js';
import { startReplayServer } from '../../src/replay/replay-server.js';
import { startMcpServer } from './mcp-server.js';

async function pause(url: string): Promise<{ text: string; progress: number[] }> {
  const client = new Client({ name: 'agent', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  try {
    const progress: number[] = [];
    const result = await client.callTool({ name: 'pause', arguments: {} }, undefined, { onprogress: (p) => void progress.push(p.progress) });
    await transport.terminateSession();
    return { text: (result.content as Array<{ text: string }>)[0]!.text, progress };
  } finally {
    await client.close();
  }
}

it('replays a stream the server closed and the client resumed with Last-Event-ID, serving the GET that resumed from that id', async () => {
  const server = await startMcpServer({ resumable: true });
  const path = join(await mkdtemp(join(tmpdir(), 'tf-mcp-resume-')), 'pause.yaml');
  const rec = await openCassette(path, { mode: 'all', intercept: { hosts: [server.host] }, traces: false });
  let recorded: Awaited<ReturnType<typeof pause>>;
  try {
    recorded = await pause(server.url);
  } finally {
    await rec.close();
    await server.close();
  }
  expect(recorded).toEqual({ text: 'resumed', progress: [1, 2] });
  const streams = (await loadCassette(path)).interactions.filter((t) => t.metadata.mcp?.method === 'stream');
  // The session's own GET stream (the SDK may open it more than once), and the GET that resumed the tool call's stream.
  expect(streams.filter((t) => t.metadata.mcp!.resume !== undefined)).toHaveLength(1);
  expect(streams.filter((t) => t.metadata.mcp!.resume === undefined).length).toBeGreaterThan(0);

  // A cassette lists calls in the order they ended: the resumed stream may end with the session, or before the
  // session's own GET when the server ends it after the response. Both orders replay.
  const cassette = await loadCassette(path);
  const swapped = join(path, '..', 'swapped.yaml');
  // (The SDK may also have reopened its own stream after the DELETE, and got a 404: that one stays where it is.)
  const own = streams.find((t) => t.metadata.mcp!.resume === undefined && t.http.status === 200)!;
  const resumedStream = streams.find((t) => t.metadata.mcp!.resume !== undefined)!;
  const [a, b] = [cassette.interactions.findIndex((t) => t.id === own.id), cassette.interactions.findIndex((t) => t.id === resumedStream.id)];
  const order = [...cassette.interactions];
  // The resumed stream first: a matcher that went by cassette order alone would give it to the session's own GET.
  if (b > a) [order[a], order[b]] = [order[b]!, order[a]!];
  await writeCassette(swapped, { ...cassette, interactions: order });
  // On the wire: a GET without Last-Event-ID gets the session's own stream (nothing yet), the one with the recorded
  // id gets the events after it, whatever order the cassette lists them in.
  const resumed = streams.find((t) => t.metadata.mcp!.resume !== undefined)!;
  const replay = await startReplayServer({ cassette: swapped, speed: 0 });
  try {
    const init = cassette.interactions.find((t) => t.metadata.mcp?.method === 'initialize')!;
    const opened = await fetch(`${replay.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify(init.request) });
    const sid = opened.headers.get('mcp-session-id')!;
    await opened.text();
    const get = (lastEventId?: string) => fetch(`${replay.url}/mcp`, { headers: { accept: 'text/event-stream', 'mcp-session-id': sid, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) } });
    const ownGet = await get();
    const first = await Promise.race([ownGet.body!.getReader().read().then(() => 'events'), new Promise((r) => setTimeout(() => r('open, quiet'), 200))]);
    expect(first).toBe('open, quiet');
    // Its recording stayed open until the session ended, and so does its replay: read what it recorded.
    const want = resumed.chunks!.map((c) => c.raw).join('');
    const reader = (await get(resumed.metadata.mcp!.resume)).body!.getReader();
    let got = '';
    while (got.length < want.length) {
      const r = await reader.read();
      if (r.done) break;
      got += new TextDecoder().decode(r.value);
    }
    expect(got).toBe(want);
    await reader.cancel();
    expect(replay.misses).toEqual([]);
  } finally {
    await replay.close();
  }
  for (const file of [path, swapped]) {
    const rep = await openCassette(file, { mode: 'none', intercept: { hosts: [server.host] }, traces: false });
    try {
      expect(await pause(server.url), file).toEqual(recorded);
      expect(rep.misses.map((m) => m.message)).toEqual([]);
    } finally {
      await rep.close();
    }
  }
});
