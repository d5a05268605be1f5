/**
 * Pieces the protocol modules share to write injected faults: the words of each error status, and one
 * SSE event framed the way the recording frames its own. Pure.
 */
import type { ErrorEventContext } from './protocol.js';

const STATUS_TEXT: Record<number, [type: string, message: string]> = {
  400: ['invalid_request_error', 'Bad request (TraceForge fault)'],
  401: ['authentication_error', 'Invalid API key (TraceForge fault)'],
  403: ['permission_error', 'Forbidden (TraceForge fault)'],
  404: ['not_found_error', 'Not found (TraceForge fault)'],
  408: ['timeout_error', 'Request timed out (TraceForge fault)'],
  429: ['rate_limit_error', 'Rate limit reached (TraceForge fault)'],
  500: ['api_error', 'Internal server error (TraceForge fault)'],
  502: ['api_error', 'Bad gateway (TraceForge fault)'],
  503: ['overloaded_error', 'Service unavailable (TraceForge fault)'],
  529: ['overloaded_error', 'Overloaded (TraceForge fault)'],
};

/** The error type and message a fault with this status says. */
export function statusWords(status: number): [type: string, message: string] {
  return STATUS_TEXT[status] ?? [status >= 500 ? 'api_error' : 'invalid_request_error', `HTTP ${status} (TraceForge fault)`];
}

/** One SSE event (`event:` only when named) ended with the recording's terminator. */
export function sseEventBytes(ctx: ErrorEventContext, payload: unknown, event?: string): Uint8Array {
  const nl = ctx.terminator.startsWith('\r\n') ? '\r\n' : '\n';
  return new TextEncoder().encode(`${event !== undefined ? `event: ${event}${nl}` : ''}data: ${JSON.stringify(payload)}${ctx.terminator}`);
}
