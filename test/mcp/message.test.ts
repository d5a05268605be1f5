/** The pure parts of MCP replay: what matching ignores, and how a recorded answer gets the client's ids. */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { canonicalize } from '../../src/cassette/canonical.js';
import { matchView } from '../../src/mcp/message.js';
import { idMap, rewriteSseEvent } from '../../src/mcp/rewrite.js';
import { mcpMarker } from '../../src/mcp/marker.js';

/** Equal JSON up to key order, as the matcher compares bodies. */
const canonicalJson = (v: unknown): string => JSON.stringify(canonicalize(v)) ?? 'null';

const id = fc.oneof(fc.integer({ min: 0, max: 1e6 }), fc.string({ minLength: 1, maxLength: 8 }));
const json = fc.jsonValue({ maxDepth: 2 });
const request = fc.record({ method: fc.constantFrom('tools/call', 'resources/read', 'prompts/get'), args: fc.dictionary(fc.string({ maxLength: 5 }), json, { maxKeys: 3 }), meta: fc.dictionary(fc.constantFrom('a', 'b'), json, { maxKeys: 2 }) });
const build = (r: { method: string; args: unknown; meta: Record<string, unknown> }, rid: string | number, token?: string | number) => ({
  jsonrpc: '2.0',
  id: rid,
  method: r.method,
  params: { name: 'tool', arguments: r.args, ...(token !== undefined || Object.keys(r.meta).length > 0 ? { _meta: { ...r.meta, ...(token !== undefined ? { progressToken: token } : {}) } } : {}) },
});

it('matching ignores the request id and the progress token, and nothing else', () => {
  fc.assert(
    fc.property(request, request, id, id, fc.option(id, { nil: undefined }), fc.option(id, { nil: undefined }), (a, b, i1, i2, t1, t2) => {
      const same = canonicalJson(matchView(build(a, i1, t1))) === canonicalJson(matchView(build(a, i2, t2 === undefined ? undefined : t2)));
      // The same request with other ids and tokens matches (a token present on one side only still counts as present).
      if ((t1 === undefined) === (t2 === undefined)) expect(same).toBe(true);
      const other = canonicalJson(matchView(build(a, i1, t1))) === canonicalJson(matchView(build(b, i1, t1)));
      expect(other).toBe(canonicalJson(a) === canonicalJson(b));
    }),
  );
});

it('a body that is not JSON-RPC is compared as it is', () => {
  fc.assert(
    fc.property(json, (v) => {
      expect(matchView(v)).toEqual(v);
    }),
  );
});

it('a recorded SSE event gets the client\'s response id and progress token; the server\'s own requests keep theirs', () => {
  fc.assert(
    fc.property(id, id, id, id, id, fc.constantFrom('\n', '\r\n'), (recId, clientId, recTok, clientTok, serverId, eol) => {
      const map = idMap(build({ method: 'tools/call', args: {}, meta: {} }, recId, recTok), build({ method: 'tools/call', args: {}, meta: {} }, clientId, clientTok));
      const event = (m: unknown) => `event: message${eol}id: 7${eol}data: ${JSON.stringify(m)}${eol}${eol}`;
      const data = (s: string) => JSON.parse(/data: (.*)/.exec(s)![1]!);
      const response = { result: { ok: true }, jsonrpc: '2.0', id: recId };
      const out = rewriteSseEvent(event(response), map) ?? event(response);
      expect(data(out)).toEqual({ ...response, id: clientId });
      expect(out.startsWith(`event: message${eol}id: 7${eol}data: `)).toBe(true);
      expect(out.endsWith(`${eol}${eol}`)).toBe(true);
      const progress = { method: 'notifications/progress', params: { progressToken: recTok, progress: 1 }, jsonrpc: '2.0' };
      expect(data(rewriteSseEvent(event(progress), map) ?? event(progress)).params.progressToken).toEqual(clientTok);
      const asks = { method: 'sampling/createMessage', params: {}, jsonrpc: '2.0', id: serverId };
      expect(rewriteSseEvent(event(asks), map)).toBeUndefined();
    }),
  );
});

it('recognises MCP calls by their headers or an initialize, and leaves other JSON-RPC alone', () => {
  const none: Array<[string, string]> = [];
  expect(mcpMarker({ method: 'POST', request: { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber' }, requestHeaders: {}, responseHeaders: none })).toBeUndefined();
  expect(mcpMarker({ method: 'POST', request: { jsonrpc: '2.0', id: 0, method: 'initialize' }, requestHeaders: {}, responseHeaders: [['Mcp-Session-Id', 's1']] })).toEqual({ session: 's1', method: 'initialize' });
  expect(mcpMarker({ method: 'GET', request: null, requestHeaders: { 'mcp-session-id': 's1' }, responseHeaders: none })).toEqual({ session: 's1', method: 'stream' });
  // The 2026-07-28 generation: no session, the method and name in headers.
  expect(mcpMarker({ method: 'POST', request: { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'count' } }, requestHeaders: { 'mcp-method': 'tools/call', 'mcp-name': 'count' }, responseHeaders: none })).toEqual({
    session: null,
    method: 'tools/call',
    name: 'count',
  });
});
