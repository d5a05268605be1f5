import { TraceForgeError } from '../errors.js';

/** The fields of one SSE event to write; every field is optional. */
export interface SseEventInit {
  event?: string;
  /** Line breaks (LF, CRLF or CR) split it into several `data:` lines; a reader joins them back with LF. */
  data?: string;
  id?: string;
  /** Reconnection time in ms: a non-negative integer. */
  retry?: number;
  /** Comment lines, written after a bare `:`; a comment with line breaks becomes several comments. */
  comments?: string[];
}

export type SseLineEnding = '\n' | '\r\n' | '\r';

const LINE_BREAK = /\r\n|\r|\n/;

function singleLine(field: 'event' | 'id', value: string): string {
  if (/[\r\n]/.test(value)) {
    throw new TraceForgeError(
      'E_USAGE',
      `Cannot encode SSE ${field} ${JSON.stringify(value)}: it contains a line break, which would end the field early. Remove CR/LF from the ${field}.`,
    );
  }
  return value;
}

/**
 * Write one SSE block: comments, `event`, `id`, `retry`, then the `data` lines and the blank line
 * that ends the block. Decoding the result with `createSseDecoder` gives the same fields back
 * (an empty `data` string is written as `data:`, which dispatches an event with data "").
 *
 * @example
 * encodeSseEvent({ event: 'delta', data: 'a\nb' });
 * // -> 'event: delta\ndata: a\ndata: b\n\n'
 */
export function encodeSseEvent(ev: SseEventInit, eol: SseLineEnding = '\n'): string {
  const lines: string[] = [];
  for (const comment of ev.comments ?? []) for (const c of comment.split(LINE_BREAK)) lines.push(`:${c}`);
  if (ev.event !== undefined) lines.push(`event: ${singleLine('event', ev.event)}`);
  if (ev.id !== undefined) {
    // A reader must ignore an id containing NUL, so writing one would silently lose it.
    if (ev.id.includes('\0')) {
      throw new TraceForgeError('E_USAGE', `Cannot encode SSE id ${JSON.stringify(ev.id)}: it contains NUL, which readers ignore. Remove the NUL character.`);
    }
    lines.push(`id: ${singleLine('id', ev.id)}`);
  }
  if (ev.retry !== undefined) {
    if (!Number.isSafeInteger(ev.retry) || ev.retry < 0) {
      throw new TraceForgeError('E_USAGE', `Cannot encode SSE retry ${ev.retry}: it must be a non-negative integer number of milliseconds.`);
    }
    lines.push(`retry: ${ev.retry}`);
  }
  if (ev.data !== undefined) for (const d of ev.data.split(LINE_BREAK)) lines.push(d === '' ? 'data:' : `data: ${d}`);
  lines.push('');
  return lines.join(eol) + eol;
}

/**
 * Write one NDJSON line. `JSON.stringify` escapes line breaks inside strings, so the value is
 * always exactly one line.
 *
 * @example
 * encodeNdjsonLine({ done: true }); // -> '{"done":true}\n'
 */
export function encodeNdjsonLine(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) {
    throw new TraceForgeError('E_USAGE', `Cannot encode ${typeof value} as an NDJSON line: JSON has no representation for it. Pass a JSON-serialisable value.`);
  }
  return json + '\n';
}
