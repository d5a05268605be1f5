/**
 * The 2026-07-28 generation of streamable HTTP: no initialize, no session, the method and name in
 * `Mcp-Method`/`Mcp-Name` headers, plain JSON answers. A hand-written server of that shape is recorded
 * through the interception and replayed with it stopped, to a client whose JSON-RPC ids differ.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadCassette } from '../../src/store/cassette-file.js';
import { openCassette } from '../../src/session.js';

function call(url: string, id: number, n: number) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-method': 'tools/call', 'mcp-name': 'double', 'mcp-protocol-version': '2026-07-28' },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'double', arguments: { n }, _meta: { progressToken: id } } }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as { id: number; result: { content: Array<{ text: string }> } } }));
}

it('records a sessionless call and replays it to another JSON-RPC id, with no session asked for', async () => {
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c)).on('end', () => {
      const msg = JSON.parse(Buffer.concat(parts).toString()) as { id: number; params: { arguments: { n: number } } };
      const body = JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { content: [{ type: 'text', text: String(msg.params.arguments.n * 2) }] } });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const path = join(await mkdtemp(join(tmpdir(), 'tf-mcp26-')), 'double.yaml');
  const rec = await openCassette(path, { mode: 'all', intercept: { hosts: [host] }, traces: false });
  try {
    expect(await call(`http://${host}/mcp`, 1, 21)).toMatchObject({ status: 200, body: { id: 1 } });
  } finally {
    await rec.close();
    await new Promise((r) => server.close(r));
  }
  const [t] = (await loadCassette(path)).interactions;
  expect(t!.metadata.mcp).toEqual({ session: null, method: 'tools/call', name: 'double' });

  const rep = await openCassette(path, { mode: 'none', intercept: { hosts: [host] }, traces: false });
  try {
    const replayed = await call(`http://${host}/mcp`, 77, 21);
    expect(rep.misses).toEqual([]);
    expect(replayed).toEqual({ status: 200, body: { jsonrpc: '2.0', id: 77, result: { content: [{ type: 'text', text: '42' }] } } });
  } finally {
    await rep.close();
  }
});
