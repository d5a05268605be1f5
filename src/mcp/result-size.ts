import { isResponse, messagesOf } from './message.js';

/**
 * The size in bytes of the JSON-RPC response an MCP call got (its result or error, as JSON), from its SSE
 * events or its JSON body; undefined when it got none (a notification's 202, a GET stream).
 */
export function mcpResultBytes(t: { chunks?: ReadonlyArray<{ data?: unknown }>; response: unknown }): number | undefined {
  const candidates = t.chunks ? t.chunks.map((c) => c.data) : [t.response];
  for (const c of candidates) {
    const response = messagesOf(c).find(isResponse);
    if (response) return Buffer.byteLength(JSON.stringify('result' in response ? response.result : response.error));
  }
  return undefined;
}
