import type { FileHandle } from 'node:fs/promises';
import { cassetteHeader, parseEach, parseHeader, stringifyCassette, stringifyInteraction } from '../cassette/codec.js';
import { markerAt } from '../cassette/documents.js';
import type { Trace } from '../trace/types.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { openCassetteFile } from './cassette-fs.js';
import { readAt, readCassette } from './cassette-read.js';

/** A version 2 header is a few comment lines; its `---` is always within this many bytes. */
const HEAD_BYTES = 64 * 1024;
/** How far back to look at a time for where a cut-off last document starts. */
const TAIL_WINDOW = 64 * 1024;

/** The offset of the first `---` line within `buf` (at its start or after a newline), or -1. */
function firstMarker(buf: Buffer): number {
  if (markerAt(buf, 0) === '---') return 0;
  for (let i = buf.indexOf('\n---'); i >= 0; i = buf.indexOf('\n---', i + 1)) {
    if (markerAt(buf, i + 1) === '---') return i + 1;
  }
  return -1;
}

/**
 * Where the complete part of a version 2 file ends. It ends with a `...` line when every document was
 * written whole; otherwise the last document was cut off (a crash mid-append) and starts at the last
 * marker line: after a `...` line, or at a `---` line. Reads only the tail in the normal case.
 */
async function completeEnd(fh: FileHandle, size: number, headerEnd: number): Promise<{ end: number; newline: boolean }> {
  if (size === headerEnd) return { end: size, newline: size > 0 && (await readAt(fh, size - 1, 1))[0] !== 10 };
  const tail = await readAt(fh, Math.max(headerEnd, size - 5), Math.min(5, size - headerEnd));
  const text = tail.toString('latin1');
  if (/(^|\n)\.\.\.\n$/.test(text)) return { end: size, newline: false };
  if (/(^|\n)\.\.\.$/.test(text)) return { end: size, newline: true };
  // Cut off: walk back a window at a time to the last marker line.
  let to = size;
  while (to > headerEnd) {
    const from = Math.max(headerEnd, to - TAIL_WINDOW);
    // One byte of overlap before the window, to see whether a marker starts a line.
    const start = Math.max(0, from - 1);
    const buf = await readAt(fh, start, to - start);
    for (let i = buf.length - 1; i >= 0; i--) {
      const atLineStart = start + i === 0 || (i > 0 && buf[i - 1] === 10);
      if (!atLineStart || start + i < headerEnd) continue;
      const marker = markerAt(buf, i);
      if (marker === '---') return { end: start + i, newline: false };
      if (marker === '...') {
        const nl = buf.indexOf(10, i);
        return { end: nl < 0 ? size : start + nl + 1, newline: false };
      }
    }
    to = from;
  }
  return { end: headerEnd, newline: false };
}

/** Write all of `data` at the end (the handle is opened for appending). */
async function writeAll(fh: FileHandle, data: Buffer): Promise<void> {
  let done = 0;
  while (done < data.length) done += (await fh.write(data, done, data.length - done)).bytesWritten;
}

/**
 * Append under the caller's lock. A version 2 cassette gets one write at its end: the header's first
 * bytes and the last few bytes are read, never the interactions, so an append costs the size of what is
 * appended. A cut-off last document is truncated away first. A version 1 cassette is migrated: read
 * whole, rewritten atomically as version 2 with the new interactions. A missing file is created atomically.
 */
export async function appendLocked(path: string, traces: readonly Trace[]): Promise<void> {
  const fh = await openCassetteFile(path, 'a+');
  if (!fh) return writeFileAtomic(path, cassetteHeader() + traces.map(stringifyInteraction).join(''));
  let size: number;
  let end: { end: number; newline: boolean };
  try {
    size = (await fh.stat()).size;
    const head = await readAt(fh, 0, Math.min(size, HEAD_BYTES));
    const marker = firstMarker(head);
    // No `---` near the start: a version 1 cassette (or a version 2 one with no interactions yet).
    const headerText = marker >= 0 ? head.subarray(0, marker) : size <= HEAD_BYTES ? head : undefined;
    const version = headerText === undefined ? 1 : parseHeader(headerText.toString('utf8'), path).version;
    if (version === 1) {
      await fh.close();
      const existing: Trace[] = [];
      await readCassette(path, parseEach(path, (t) => existing.push(t)));
      return writeFileAtomic(path, stringifyCassette({ version: 2, interactions: [...existing, ...traces] }));
    }
    end = await completeEnd(fh, size, marker >= 0 ? marker : size);
    if (end.end < size) await fh.truncate(end.end);
  } catch (e) {
    await fh.close().catch(() => {});
    throw e;
  }
  try {
    await writeAll(fh, Buffer.from((end.newline ? '\n' : '') + traces.map(stringifyInteraction).join(''), 'utf8'));
    await fh.sync();
  } catch (e) {
    // A failed write (disk full) must not leave half a document behind.
    await fh.truncate(end.end).catch(() => {});
    throw e;
  } finally {
    await fh.close().catch(() => {});
  }
}
