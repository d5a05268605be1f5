import { ByteBuffer } from './byte-buffer.js';
import { concatBytes } from './bytes.js';
import type { Frame, FrameDecoder } from './frame.js';
import { decodeLine } from './utf8.js';

const LF = 0x0a;
// Only JSON whitespace: such a line carries no value, so it is not an event of its own.
const BLANK = /^[ \t\r]*$/;

/** The line text without its terminator: one trailing CR (of a CRLF) is dropped. */
function lineText(bytes: Uint8Array, first: boolean): string {
  const text = decodeLine(bytes, first);
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

/**
 * Incremental NDJSON / JSON Lines decoder: one {@link Frame} per `\n`-terminated line, `data`
 * being the line's text. Blank lines are not frames: their bytes are carried into the next
 * frame's `raw` (or the partial frame at the end), so the frames still concatenate to the input.
 *
 * @example
 * const d = createNdjsonDecoder();
 * d.push(new TextEncoder().encode('{"a":1}\r\n\n{"b"'));
 * // -> [{ raw: '{"a":1}\r\n' bytes, data: '{"a":1}' }]
 * d.end();
 * // -> [{ raw: '\n{"b"' bytes, data: '{"b"', partial: true }]
 */
export function createNdjsonDecoder(): FrameDecoder {
  // Bytes of the current frame that arrived in earlier reads, blank lines included.
  const pending = new ByteBuffer();
  // Where the current unterminated line starts inside `pending`.
  let lineOffset = 0;
  // Only the stream's first line may start with a BOM.
  let firstLine = true;

  function push(chunk: Uint8Array, at?: number): Frame[] {
    const out: Frame[] = [];
    let frameStart = 0;
    let lineStart = 0;
    for (let j = chunk.indexOf(LF); j !== -1; j = chunk.indexOf(LF, lineStart)) {
      const tail = chunk.subarray(lineStart, j);
      const bytes = pending.length > lineOffset ? concatBytes([pending.view(lineOffset)], tail) : tail;
      lineOffset = pending.length;
      const data = lineText(bytes, firstLine);
      firstLine = false;
      lineStart = j + 1;
      if (BLANK.test(data)) continue;
      const frame: Frame = { raw: pending.take(chunk.subarray(frameStart, lineStart)), data };
      if (at !== undefined) frame.at = at;
      out.push(frame);
      lineOffset = 0;
      frameStart = lineStart;
    }
    if (frameStart < chunk.length) {
      pending.append(chunk.subarray(frameStart));
      // With no line end in this read, the unfinished line still starts where it did.
      if (lineStart > 0) lineOffset = pending.length - (chunk.length - lineStart);
    }
    return out;
  }

  function end(at?: number): Frame[] {
    const out: Frame[] = [];
    if (pending.length > 0) {
      const data = lineText(pending.view(lineOffset), firstLine);
      const frame: Frame = { raw: pending.take(), partial: true };
      if (!BLANK.test(data)) frame.data = data;
      if (at !== undefined) frame.at = at;
      out.push(frame);
    }
    lineOffset = 0;
    firstLine = true;
    return out;
  }

  return { framing: 'ndjson', push, end };
}
