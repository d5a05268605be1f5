/**
 * Traces of the real provider streams in fixtures/third-party-streams: the events as the project's
 * own decoder splits them (see test/providers/captured.ts), in a trace's shape, for fault points.
 */
import { TRACE_SCHEMA_VERSION, type Trace } from '../../src/trace/types.js';
import { loadCaptured } from '../providers/captured.js';

export function capturedTrace(name: string): Trace {
  const { meta, input } = loadCaptured(name);
  const contentType = meta.response.headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  const framing = /ndjson/.test(contentType) ? 'ndjson' : /eventstream/.test(contentType) ? 'eventstream' : input.stream ? 'sse' : 'raw';
  return {
    schema_version: TRACE_SCHEMA_VERSION,
    id: name,
    timestamp: new Date(0).toISOString(),
    endpoint: input.endpoint,
    request: input.request,
    response: null,
    metadata: { duration_ms: 10, status: 'success', model: null, provider: 'unknown', stream: input.stream },
    ...(input.stream ? { chunks: input.chunks.map((c) => ({ delta_ms: 1, raw: '', ...c })) } : {}),
    http: {
      method: meta.request.method,
      url: meta.request.path,
      request_headers: Object.fromEntries(Object.entries(meta.request.headers).map(([k, v]) => [k.toLowerCase(), v])),
      status: meta.response.status,
      status_message: 'OK',
      response_headers: meta.response.headers,
      framing,
      headers_ms: 1,
      outcome: 'complete',
    },
  };
}
