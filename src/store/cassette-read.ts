import type { FileHandle } from 'node:fs/promises';
import { TraceForgeError } from '../errors.js';
import { createCassetteParser, MAX_V1_CASSETTE_BYTES, parseInteraction, type CassetteHandlers, type DocumentPlace } from '../cassette/codec.js';
import { resolveLimits, type CassetteLimits } from '../cassette/bounds.js';
import { shortText } from '../util/one-line.js';
import type { Trace } from '../trace/types.js';
import { cassetteFsError, cassetteIo, openCassetteFile } from './cassette-fs.js';

/** Read size: big enough that a 250 MB cassette is a few hundred reads, small enough to never matter for memory. */
const CHUNK_BYTES = 1024 * 1024;
/** A version 2 file has its first `---` within this many bytes. */
const HEAD_BYTES = 64 * 1024;

/**
 * Stream a cassette file through the parser, one document at a time: the file is never held whole
 * (except a version 1 cassette, which is one document). Errors carry `file:line`.
 */
export async function readCassette(
  path: string,
  handlers: CassetteHandlers,
  limits?: Partial<CassetteLimits>,
  /** Told every byte read, in order (the parse cache hashes what was parsed). */
  onBytes?: (chunk: Uint8Array) => void,
): Promise<{ version: 1 | 2; count: number; warnings: string[] }> {
  // Read before the file is opened: a bad TRACEFORGE_MAX_* value is a usage error, whatever the file.
  const bounds = resolveLimits(process.env, limits);
  const fh = await openCassetteFile(path, 'r');
  if (!fh) throw cassetteFsError(path, Object.assign(new Error('not found'), { code: 'ENOENT' }), 'read');
  try {
    return await cassetteIo(path, 'read', async () => {
      const parser = createCassetteParser(path, handlers, bounds);
      const size = (await fh.stat()).size;
      let position = 0;
      // One buffer for every read: the parser copies what it keeps.
      const buf = Buffer.allocUnsafe(CHUNK_BYTES);
      for (;;) {
        // The first read is small: it decides whether the file is one big document.
        const want = position === 0 ? HEAD_BYTES : CHUNK_BYTES;
        const { bytesRead } = await fh.read(buf, 0, want, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        onBytes?.(buf.subarray(0, bytesRead));
        parser.push(buf.subarray(0, bytesRead));
        if (position === bytesRead && !parser.sawMarker && size > MAX_V1_CASSETTE_BYTES) {
          // No `---` at the start: one YAML document (version 1), read whole, so refused by its size alone.
          throw new TraceForgeError('E_CASSETTE_INVALID', `${shortText(path)}: ${size} bytes is over the ${MAX_V1_CASSETTE_BYTES}-byte limit for a cassette that is one YAML document (version 1); split it into several cassettes, or record a new one (version 2 cassettes have no size limit)`);
        }
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
