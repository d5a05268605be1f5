import type { FileHandle } from 'node:fs/promises';
import { createCassetteParser, parseInteraction, type CassetteHandlers, type DocumentPlace } from '../cassette/codec.js';
import type { Trace } from '../trace/types.js';
import { cassetteFsError, cassetteIo, openCassetteFile } from './cassette-fs.js';

/** Read size: big enough that a 250 MB cassette is a few hundred reads, small enough to never matter for memory. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * Stream a cassette file through the parser, one document at a time: the file is never held whole
 * (except a version 1 cassette, which is one document). Errors carry `file:line`.
 */
export async function readCassette(path: string, handlers: CassetteHandlers): Promise<{ version: 1 | 2; count: number; warnings: string[] }> {
  const fh = await openCassetteFile(path, 'r');
  if (!fh) throw cassetteFsError(path, Object.assign(new Error('not found'), { code: 'ENOENT' }), 'read');
  try {
    return await cassetteIo(path, 'read', async () => {
      const parser = createCassetteParser(path, handlers);
      let position = 0;
      // One buffer for every read: the parser copies what it keeps.
      const buf = Buffer.allocUnsafe(CHUNK_BYTES);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, CHUNK_BYTES, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        parser.push(buf.subarray(0, bytesRead));
      }
      return parser.end();
    });
  } finally {
    await fh.close();
  }
}

/** Read exactly `length` bytes at `offset`, or fewer if the file is now shorter. */
export async function readAt(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

/** Load the interaction whose document is at `place` (from an index made by readCassette). */
export async function readInteractionAt(path: string, place: DocumentPlace, index: number): Promise<Trace> {
  const fh = await openCassetteFile(path, 'r');
  if (!fh) throw cassetteFsError(path, Object.assign(new Error('not found'), { code: 'ENOENT' }), 'read');
  try {
    const bytes = await cassetteIo(path, 'read', () => readAt(fh, place.offset, place.length));
    return parseInteraction(bytes.toString('utf8'), path, place.line, index);
  } finally {
    await fh.close();
  }
}
