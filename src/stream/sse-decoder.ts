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
 * A frame ends with its last byte, whatever the reads: when a read ends on the CR of a blank line,
 * the block is held until the next byte shows whether an LF belongs to it. An LF joins the frame,
 * which then dates from that next read; any other byte means the CR ended it, so the frame is
 * released dated from the earlier read (its `at`, see {@link FrameDecoder}). At end of body a held
 * frame is released as it is. So a split CRLF gives the same frames as an unsplit one.
 *
 * Why no release timer: nothing forwards live from this decoder. The proxy passes the upstream's
 * bytes through untouched (on its own thread) and the decoder only runs to build the trace, where a
 * frame's time is its `at`, not when the decoder let go of it. A bare-CR stream is therefore stamped
 * exactly (the earlier read's time) and never delayed for the client.
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
  // A block whose blank line ended on the last byte of a read, a CR: waiting for a possible LF.
  let held: Frame | undefined;
  // The `at` of the read before the current one (the read a held frame came from).
  let heldAt: number | undefined;
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

  function stamp(frame: Frame, at: number | undefined): Frame {
    if (at !== undefined) frame.at = at;
    return frame;
  }

  function push(chunk: Uint8Array, at?: number): Frame[] {
    const out: Frame[] = [];
    const n = chunk.length;
    let frameStart = 0;
    let lineStart = 0;
    let i = 0;
    if (skipLF && n > 0) {
      skipLF = false;
      if (chunk[0] === LF) {
        i = lineStart = 1;
        // The LF completes the held block's CRLF: it is that frame's last byte, arriving now.
        if (held) {
          held.raw = concatBytes([held.raw], chunk.subarray(0, 1));
          out.push(stamp(held, at));
          held = undefined;
          frameStart = 1;
        }
      }
    }
    if (held && n > 0) {
      // Not an LF: the CR alone ended the block, in the earlier read.
      out.push(stamp(held, heldAt));
      held = undefined;
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
        const frame = finish(raw, false);
        // Ended on this read's last byte, a CR: an LF may still belong to it.
        if (skipLF) held = frame;
        else out.push(stamp(frame, at));
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
    // An empty read tells nothing: a frame held from an earlier read keeps that read's time.
    if (n > 0) heldAt = at;
    return out;
  }

  function end(at?: number): Frame[] {
    const out: Frame[] = [];
    // The body ended after the CR: nothing more can join the held frame.
    if (held) out.push(stamp(held, heldAt));
    held = undefined;
    if (pending.length > 0) {
      // An unterminated last line is incomplete, so the spec never interprets it; only its bytes are kept.
      out.push(stamp(finish(pending.take(), true), at));
    }
    skipLF = false;
    firstLine = true;
    block = emptyBlock();
    lineOffset = 0;
    heldAt = undefined;
    return out;
  }

  return { framing: 'sse', push, end };
}
