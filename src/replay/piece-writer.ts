import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Writing replayed pieces. `res.write` costs a chunk-size header, a trailing CRLF and a writev per
 * piece, for every stream; at a thousand concurrent replays that per-write cost is what makes the
 * server late. So, once the headers are on the wire, each piece's chunked encoding is built once
 * (shared by every stream replaying it) and written to the socket in one plain write. `res.end()`
 * then adds the terminating chunk as usual, so keep-alive and the HTTP state machine are unchanged.
 *
 * The socket is used directly only when nothing can be queued in front of it: the response owns the
 * socket (not a pipelined response waiting for its turn), its headers were flushed, and it has a
 * body. Otherwise pieces go through `res.write`, which is always correct.
 */
const encoded = new WeakMap<Uint8Array, Buffer>();
const CRLF = Buffer.from('\r\n');

function chunkOf(bytes: Uint8Array): Buffer {
  let b = encoded.get(bytes);
  if (!b) {
    b = Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, CRLF]);
    encoded.set(bytes, b);
  }
  return b;
}

type Outgoing = ServerResponse & { chunkedEncoding?: boolean; _hasBody?: boolean };

export type PieceWriter = (pieces: readonly Uint8Array[]) => void;

/** A writer for `res`, whose headers have just been flushed. */
export function pieceWriter(res: ServerResponse): PieceWriter {
  const out = res as Outgoing;
  const socket = res.socket as (Socket & { _httpMessage?: unknown }) | null;
  const direct = socket !== null && socket._httpMessage === res && res.headersSent && out._hasBody !== false && res.writableLength === 0;
  if (!direct) {
    return (pieces) => {
      for (const p of pieces) if (p.length > 0) res.write(p);
    };
  }
  const chunked = out.chunkedEncoding === true;
  return (pieces) => {
    const parts: Uint8Array[] = [];
    // An empty piece would be read as the terminating chunk.
    for (const p of pieces) if (p.length > 0) parts.push(chunked ? chunkOf(p) : p);
    if (parts.length === 1) socket.write(parts[0]!);
    else if (parts.length > 1) socket.write(Buffer.concat(parts));
  };
}
