/**
 * Cut a cassette's bytes into YAML documents without parsing them, so a cassette of any size is read
 * one document at a time. A line that starts with `---` opens a document and a `...` line closes one;
 * YAML forbids both inside a scalar, so splitting on them is what a YAML parser would do.
 * Pure: bytes in, documents out, chunk by chunk.
 */

export interface RawDocument {
  /** From its `---` line (or the file's start) to the end of its `...` line, or to the next `---`. */
  bytes: Buffer;
  /** Byte offset of its first byte in the file. */
  offset: number;
  /** File line (1-based) of its first byte. */
  line: number;
  /** Closed by a `...` line: TraceForge finished writing it. */
  ended: boolean;
  /** The text before the first `---` line: the header, or a whole version 1 cassette. */
  first: boolean;
}

/** A document grew past its limit; `first` says which limit. */
export class DocumentTooBig extends Error {
  constructor(readonly line: number, readonly offset: number, readonly bytes: number, readonly first: boolean) {
    super(`document at line ${line} is over its size limit`);
  }
}

const NL = 10;
const isMarkerEnd = (b: number | undefined): boolean => b === undefined || b === NL || b === 32 || b === 9 || b === 13;

/** `---` or `...` at `pos`, followed by a blank, a line end or the end of the input. */
export function markerAt(buf: Uint8Array, pos: number, end = buf.length): '---' | '...' | null {
  const c = buf[pos];
  if ((c !== 45 && c !== 46) || buf[pos + 1] !== c || buf[pos + 2] !== c) return null;
  if (pos + 3 > end) return null;
  if (!isMarkerEnd(pos + 3 < end ? buf[pos + 3] : undefined)) return null;
  return c === 45 ? '---' : '...';
}

/** Only blank lines and comments: nothing a reader would lose. */
export function isBlank(bytes: Uint8Array): boolean {
  let lineStart = true;
  let comment = false;
  for (const b of bytes) {
    if (b === NL) {
      lineStart = true;
      comment = false;
    } else if (comment || b === 32 || b === 9 || b === 13) continue;
    else if (lineStart && b === 35) comment = true;
    else return false;
  }
  return true;
}

export interface DocumentSplitter {
  push(chunk: Uint8Array): RawDocument[];
  /** The documents still open at the end of the input (the last one may be cut off). */
  end(): RawDocument[];
  /** True once a `---` line has been seen: the file is a document stream (version 2). */
  readonly sawMarker: boolean;
}

/**
 * `limits.first` bounds the text before the first `---` (a version 1 cassette is that text, whole);
 * `limits.other` bounds each later document.
 */
export function createDocumentSplitter(limits: { first: number; other: number }): DocumentSplitter {
  let carry = Buffer.alloc(0); // the current line, not yet ended by a newline
  let pending: Buffer[] = []; // chunks of that line that had no newline in them
  let pendingBytes = 0;
  let carryOffset = 0;
  let line = 1; // file line of `carry`'s first byte
  let sawMarker = false;
  // The open document: its bytes saved so far, where it starts, and whether it is what follows a `...`.
  let parts: Buffer[] = [];
  let size = 0;
  let docOffset = 0;
  let docLine = 1;
  let first = true;
  let afterEnd = false;

  const close = (ended: boolean, out: RawDocument[]) => {
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
    // What follows a `...` line, or comes before the first `---`, is often only blank lines or comments.
    if (!((afterEnd || first) && !ended && isBlank(bytes))) out.push({ bytes, offset: docOffset, line: docLine, ended, first });
    parts = [];
    size = 0;
  };
  const open = (offset: number, atLine: number, isFirst: boolean, isAfterEnd: boolean) => {
    docOffset = offset;
    docLine = atLine;
    first = isFirst;
    afterEnd = isAfterEnd;
  };
  const save = (bytes: Buffer) => {
    if (bytes.length === 0) return;
    size += bytes.length;
    const limit = first ? limits.first : limits.other;
    if (size > limit) throw new DocumentTooBig(docLine, docOffset, size, first);
    parts.push(bytes);
  };

  /** Handle complete lines in buf[0, stop); `buf[0]` is at file offset `base`. Returns where unhandled bytes start. */
  const lines = (buf: Buffer, base: number, out: RawDocument[], atEnd: boolean): number => {
    let pos = 0;
    let segment = 0; // start of the open document's bytes not yet saved
    for (;;) {
      let next = buf.indexOf(NL, pos);
      if (next < 0) {
        if (!atEnd || pos >= buf.length) break;
        next = buf.length - 1; // the last line, with no newline after it
      }
      const marker = markerAt(buf, pos, next + 1);
      if (marker === '---') {
        save(buf.subarray(segment, pos));
        close(false, out);
        sawMarker = true;
        open(base + pos, line, false, false);
        segment = pos;
      } else if (marker === '...' && !first) {
        save(buf.subarray(segment, next + 1));
        close(true, out);
        open(base + next + 1, line + 1, false, true);
        segment = next + 1;
      }
      line++;
      pos = next + 1;
    }
    save(buf.subarray(segment, pos));
    return pos;
  };

  return {
    get sawMarker() {
      return sawMarker;
    },
    push(chunk) {
      const out: RawDocument[] = [];
      if (chunk.indexOf(NL) < 0) {
        // Still inside one line: keep the pieces, and join them once the line ends (joining on every
        // chunk would copy a long line over and over).
        pending.push(Buffer.from(chunk));
        pendingBytes += chunk.length;
        if (carry.length + pendingBytes > (first ? limits.first : limits.other)) throw new DocumentTooBig(docLine, docOffset, size + carry.length + pendingBytes, first);
        return out;
      }
      const buf = Buffer.concat([carry, ...pending, chunk]);
      pending = [];
      pendingBytes = 0;
      const used = lines(buf, carryOffset, out, false);
      // Copied: the caller may reuse its chunk buffer, and a slice would pin all of it.
      carry = Buffer.from(buf.subarray(used));
      carryOffset += used;
      if (carry.length > (first ? limits.first : limits.other)) throw new DocumentTooBig(docLine, docOffset, size + carry.length, first);
      return out;
    },
    end() {
      const out: RawDocument[] = [];
      lines(Buffer.concat([carry, ...pending]), carryOffset, out, true);
      pending = [];
      carry = Buffer.alloc(0);
      close(false, out);
      return out;
    },
  };
}
