import zlib from 'node:zlib';
import { concatBytes } from './bytes.js';
import type { Frame, FrameDecoder } from './frame.js';

/** Decompresses a body read by read, synchronously: each call returns what that read made available. */
export interface ContentDecoding {
  push(bytes: Uint8Array): Uint8Array;
  /** The end of the body: anything still buffered. Throws when the compressed stream is cut or corrupt. */
  end(): Uint8Array;
}

/** What Node's zlib engines carry internally; see {@link syncFeed}. */
interface ZlibEngine {
  _handle: { writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void } | null;
  _writeState: Uint32Array;
  _outBuffer: Buffer;
  _outOffset: number;
  _chunkSize: number;
  destroyed: boolean;
  on(event: 'error', listener: (e: Error) => void): void;
}

const Z = zlib.constants;

/**
 * Feed one read to a zlib engine and collect its output now. Node offers no public synchronous
 * incremental inflate: `zlib.*Sync` handle whole bodies only (`_processChunk` without a callback closes
 * the engine after one call, nodejs/node lib/zlib.js processChunkSync), and the streams deliver
 * asynchronously, after the read's time is gone. This is processChunkSync's loop without the close.
 */
function syncFeed(engine: ZlibEngine, input: Uint8Array, flush: number, failure: () => Error | undefined): Uint8Array {
  const handle = engine._handle;
  if (!handle) throw new Error('the decompressor is closed');
  const state = engine._writeState;
  const size = engine._chunkSize;
  let buffer = engine._outBuffer;
  let offset = engine._outOffset;
  let inOff = 0;
  let availIn = input.byteLength;
  let availOut = size - offset;
  const out: Uint8Array[] = [];
  for (;;) {
    handle.writeSync(flush, input, inOff, availIn, buffer, offset, availOut);
    // zlib reports errors through the handle's onerror, which destroys the engine synchronously.
    const err = failure();
    if (err || engine.destroyed) throw err ?? new Error('the compressed body is corrupt');
    const outAfter = state[0]!;
    const inAfter = state[1]!;
    const have = availOut - outAfter;
    if (have > 0) {
      // Plain Uint8Array copies: the engine reuses its buffer, and frames should not be Buffers.
      const piece = new Uint8Array(have);
      piece.set(buffer.subarray(offset, offset + have));
      out.push(piece);
      offset += have;
    }
    if (outAfter === 0 || offset >= size) {
      availOut = size;
      offset = 0;
      buffer = Buffer.allocUnsafe(size);
    } else availOut = outAfter;
    if (outAfter !== 0) break;
    // The output buffer filled up: go on with the input that is left.
    inOff += availIn - inAfter;
    availIn = inAfter;
  }
  engine._outBuffer = buffer;
  engine._outOffset = offset;
  return out.length === 1 ? out[0]! : concatBytes(out);
}

/** HTTP `deflate` should be zlib-wrapped, but some servers send bare deflate; the first two bytes tell. */
const zlibWrapped = (b: Uint8Array): boolean => (b[0]! & 0x0f) === 8 && ((b[0]! << 8) | b[1]!) % 31 === 0;

/**
 * A synchronous, incremental decompressor for one `content-encoding` (gzip, x-gzip, deflate, br), or
 * undefined for anything else (identity, several codings, unknown ones): such a body stays raw.
 *
 * @example
 * const d = createContentDecoding('gzip')!;
 * const text = [d.push(read1), d.push(read2), d.end()]; // each read's decompressed bytes, as it arrives
 */
export function createContentDecoding(encoding: string): ContentDecoding | undefined {
  const coding = encoding.trim().toLowerCase();
  let make: ((first: Uint8Array) => ZlibEngine) | undefined;
  // Only deflate needs to see 2 bytes before it can start (to tell its wrapping).
  let sniff = 0;
  let flush: number = Z.Z_SYNC_FLUSH;
  let finish: number = Z.Z_FINISH;
  if (coding === 'gzip' || coding === 'x-gzip') make = () => zlib.createGunzip() as unknown as ZlibEngine;
  else if (coding === 'deflate') {
    make = (first) => (zlibWrapped(first) ? zlib.createInflate() : zlib.createInflateRaw()) as unknown as ZlibEngine;
    sniff = 2;
  }
  else if (coding === 'br') {
    make = () => zlib.createBrotliDecompress() as unknown as ZlibEngine;
    flush = Z.BROTLI_OPERATION_FLUSH;
    finish = Z.BROTLI_OPERATION_FINISH;
  }
  if (!make) return undefined;
  // Probe the internals once: on a Node whose engines lack them, compressed bodies stay raw as before.
  if (typeof (zlib.createGunzip() as unknown as ZlibEngine)._handle?.writeSync !== 'function') return undefined;
  const create = make;
  let engine: ZlibEngine | undefined;
  let error: Error | undefined;
  let head: Uint8Array = new Uint8Array(0);
  const failure = () => error;

  function start(bytes: Uint8Array): ZlibEngine {
    const e = create(bytes);
    // The engine also emits the error on a later tick; it is already reported by then.
    e.on('error', (err) => (error ??= err));
    return e;
  }

  return {
    push(bytes) {
      if (!engine) {
        head = concatBytes([head, bytes]);
        if (head.length < sniff || head.length === 0) return new Uint8Array(0);
        engine = start(head);
        bytes = head;
      }
      return bytes.length === 0 ? new Uint8Array(0) : syncFeed(engine, bytes, flush, failure);
    },
    end() {
      if (!engine) {
        // An empty body is an empty body; one byte of deflate is not a deflate stream.
        if (head.length > 0) throw new Error('the compressed body ended after 1 byte');
        return new Uint8Array(0);
      }
      // Finishing a stream whose end has not arrived fails ('unexpected end of file').
      return syncFeed(engine, new Uint8Array(0), finish, failure);
    },
  };
}

/**
 * A frame decoder for a compressed body: each read is decompressed as it arrives and the plain bytes go
 * to `inner` (the decoder for the body's content-type) with the read's time, so every event is dated
 * from the compressed read that completed it. When decompression fails, `failed` is set and the rest
 * of the body gives no more frames; the caller still has the compressed reads (see call-assembler.ts).
 */
export function createEncodedDecoder(coding: ContentDecoding, inner: FrameDecoder): FrameDecoder & { readonly failed: boolean; readonly frames: number } {
  let failed = false;
  let count = 0;
  const guard = (f: () => Frame[]): Frame[] => {
    if (failed) return [];
    try {
      const frames = f();
      count += frames.length;
      return frames;
    } catch {
      failed = true;
      return [];
    }
  };
  return {
    framing: inner.framing,
    /** Decompression failed; the frames given out before that (see `frames`) stand. */
    get failed() {
      return failed;
    },
    /** How many frames were given out. */
    get frames() {
      return count;
    },
    push: (bytes, at) => guard(() => inner.push(coding.push(bytes), at)),
    end: (at) =>
      guard(() => {
        const frames = inner.push(coding.end(), at);
        for (const f of inner.end(at)) frames.push(f);
        return frames;
      }),
  };
}
