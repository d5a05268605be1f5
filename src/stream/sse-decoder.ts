import { ByteBuffer } from './byte-buffer.js';
import { concatBytes } from './bytes.js';
import type { Frame, FrameDecoder } from './frame.js';
import { applyLine, blockToFrame, emptyBlock } from './sse-block.js';
import { decodeLine, startsWithBom } from './utf8.js';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Incremental `text/event-stream` decoder following the WHATWG parsing rules. Each
 * blank-line-terminated block becomes one {@link Frame}, emitted as soon as its blank line is
 * complete, and the frames' `raw` bytes concatenate back to the exact input.
 *
 * A CRLF split across reads ends its block at the CR (so the event is not held back); the LF
 * starts the next frame's `raw`. If the body ends right after that LF, `end()` returns it as a
 * frame of its own with no fields and no `partial` flag, so that no byte is lost.
 *
 * Frames' `raw` are fresh copies, never views of the caller's buffer (frames completed by one read
 * may share one copy of it). Lines are decoded from their complete bytes, so characters split across reads survive. Work is
 * linear in the input however it is split.
 *
 * @example
 * const d = createSseDecoder();
 * d.push(new TextEncoder().encode('event: a\ndata: 1\n\nda'));
 * // -> [{ raw, event: 'a', data: '1' }]
 * d.end();
 * // -> [{ raw: 'da' bytes, partial: true }]
 */
export function createSseDecoder(): FrameDecoder {
  // Bytes of the current frame that arrived in earlier reads.
  const pending = new ByteBuffer();
  // Where the current unterminated line starts inside `pending`.
  let lineOffset = 0;
  // The previous read ended on a CR: an LF starting the next read completes that CRLF.
  let skipLF = false;
  // A BOM is only honoured at the very start of the stream, i.e. on its first line.
  let firstLine = true;
  let block = emptyBlock();

  /** Handle a complete line; returns true when it was blank (the block is finished). */
  function endLine(tail: Uint8Array): boolean {
    let bytes = tail;
    if (pending.length > lineOffset) bytes = concatBytes([pending.view(lineOffset)], tail);
    lineOffset = pending.length;
    if (firstLine) {
      firstLine = false;
      if (startsWithBom(bytes)) bytes = bytes.subarray(3);
    }
    if (bytes.length === 0) return true;
    applyLine(block, decodeLine(bytes, false));
    return false;
  }

  function finish(raw: Uint8Array, partial: boolean): Frame {
    const frame = blockToFrame(block, raw, partial);
    block = emptyBlock();
    lineOffset = 0;
    return frame;
  }

  function push(chunk: Uint8Array): Frame[] {
    const out: Frame[] = [];
    const n = chunk.length;
    let frameStart = 0;
    let lineStart = 0;
    let i = 0;
    if (skipLF && n > 0) {
      skipLF = false;
      // This LF belongs to the previous terminator but, that frame being gone, to the next frame's raw.
      if (chunk[0] === LF) i = lineStart = 1;
    }
    // Native indexOf finds terminators far faster than a per-byte loop; CR-free streams pay for one miss.
    let nextLF = chunk.indexOf(LF, i);
    let nextCR = chunk.indexOf(CR, i);
    // A read that completes frames is copied once; its frames' raw are views into that copy.
    let copy: Uint8Array | undefined;
    while (nextLF !== -1 || nextCR !== -1) {
      const lineEnd = nextCR === -1 || (nextLF !== -1 && nextLF < nextCR) ? nextLF : nextCR;
      i = lineEnd + 1;
      if (lineEnd === nextCR) {
        if (i < n) {
          if (chunk[i] === LF) i++;
        } else {
          skipLF = true;
        }
      }
      if (nextLF !== -1 && nextLF < i) nextLF = chunk.indexOf(LF, i);
      if (nextCR !== -1 && nextCR < i) nextCR = chunk.indexOf(CR, i);
      // Fast path: an empty line with nothing pending is blank without decoding.
      const blank = lineEnd === lineStart && pending.length === lineOffset && !firstLine ? true : endLine(chunk.subarray(lineStart, lineEnd));
      if (blank) {
        let raw: Uint8Array;
        if (pending.length > 0) raw = pending.take(chunk.subarray(frameStart, i));
        else raw = (copy ??= chunk.slice()).subarray(frameStart, i);
        out.push(finish(raw, false));
        frameStart = i;
      }
      lineStart = i;
    }
    // Keep the unfinished frame; the unfinished line is its last (n - lineStart) bytes.
    if (frameStart < n) {
      pending.append(chunk.subarray(frameStart));
      // With no line end in this read, the unfinished line still starts where it did.
      if (lineStart > 0) lineOffset = pending.length - (n - lineStart);
    }
    return out;
  }

  function end(): Frame[] {
    const out: Frame[] = [];
    if (pending.length > 0) {
      const raw = pending.take();
      // A lone LF left over can only be the second half of the CRLF that ended the last frame, whose
      // read came after that frame was emitted: it is not an event, but nothing was cut either.
      const orphanLF = raw.length === 1 && raw[0] === LF;
      // An unterminated last line is incomplete, so the spec never interprets it; only its bytes are kept.
      out.push(finish(raw, !orphanLF));
    }
    skipLF = false;
    firstLine = true;
    block = emptyBlock();
    lineOffset = 0;
    return out;
  }

  return { framing: 'sse', push, end };
}
