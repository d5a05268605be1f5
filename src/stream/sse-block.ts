import type { Frame } from './frame.js';

/**
 * The fields of one SSE block as the WHATWG "interpret a line" steps see them
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
 * Kept apart from the byte scanner so each half stays small and testable.
 */
export interface SseBlock {
  event?: string;
  id?: string;
  retry?: number;
  dataLines: string[];
  comments: string[];
}

export function emptyBlock(): SseBlock {
  return { dataLines: [], comments: [] };
}

const COLON = 0x3a;
const SPACE = 0x20;
const DIGITS = /^[0-9]+$/;

/** Apply one complete, non-blank line (already decoded, terminator removed) to `block`. */
export function applyLine(block: SseBlock, line: string): void {
  if (line.charCodeAt(0) === COLON) {
    block.comments.push(line.slice(1));
    return;
  }
  const colon = line.indexOf(':');
  let name = line;
  let value = '';
  if (colon !== -1) {
    name = line.slice(0, colon);
    value = line.slice(line.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1);
  }
  switch (name) {
    case 'data':
      block.dataLines.push(value);
      break;
    case 'event':
      block.event = value;
      break;
    case 'id':
      // The spec ignores ids containing NUL, leaving any earlier id in the block in force.
      if (!value.includes('\0')) block.id = value;
      break;
    case 'retry':
      if (DIGITS.test(value)) {
        const n = Number(value);
        // Digits beyond 2^53 would not come back as the same integer; treat them as invalid.
        if (Number.isSafeInteger(n)) block.retry = n;
      }
      break;
    default:
      // Unknown fields are ignored by the spec.
      break;
  }
}

/** Build the frame for a finished (or, at end of body, unfinished) block. */
export function blockToFrame(block: SseBlock, raw: Uint8Array, partial: boolean): Frame {
  const frame: Frame = { raw };
  if (partial) frame.partial = true;
  if (block.event !== undefined) frame.event = block.event;
  // Joining with \n equals the spec's "append value + LF, then drop the last LF". The spec's "empty
  // buffer dispatches nothing" is checked before that LF is dropped, so any data line, even an empty
  // `data:` or a bare `data`, dispatches (with data "" for one empty line): WPT eventsource/format-field-data.
  if (block.dataLines.length > 0) frame.data = block.dataLines.join('\n');
  if (block.id !== undefined) frame.id = block.id;
  if (block.retry !== undefined) frame.retry = block.retry;
  if (block.comments.length > 0) frame.comments = block.comments;
  return frame;
}
