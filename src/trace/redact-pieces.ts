import { applyRedaction, toRedaction, type RedactionInput } from './redact.js';

/**
 * A body that is not SSE or NDJSON is kept as the reads it arrived in, and a secret can be cut by a
 * read boundary ("sk-ab" | "cdef…"). These helpers redact consecutive reads as one byte string and
 * give back the same number of reads: a match that straddles a boundary is replaced whole in the read
 * it starts in. Bytes are matched as Latin-1, so a read that ends inside a UTF-8 character is handled too. Pure.
 */
export function redactPieces(pieces: readonly Uint8Array[], secrets: RedactionInput = []): Uint8Array[] {
  if (pieces.length === 0) return [];
  const joined = Buffer.concat(pieces);
  const view = joined.toString('latin1');
  const bounds: number[] = [];
  let at = 0;
  for (const p of pieces.slice(0, -1)) bounds.push((at += p.length));
  const out = applyRedaction(view, toRedaction(secrets), true, bounds);
  if (out === view) return [...pieces];
  const buf = Buffer.from(out, 'latin1');
  const edges = [0, ...bounds, buf.length];
  return pieces.map((_, i) => new Uint8Array(buf.subarray(edges[i], edges[i + 1])));
}

export interface HeldPiece<T> {
  raw: Uint8Array;
  at: number;
  tag: T;
}

/**
 * Redact reads as they arrive with a look-ahead window: a read is released only once `windowBytes`
 * more have arrived after it (or at the end), so any secret or key shorter than the window that starts
 * in it has been seen whole. Memory stays bounded by the window plus the last read.
 */
export function createPieceRedactor<T>(secrets: RedactionInput, windowBytes = 4096) {
  const r = toRedaction(secrets);
  const held: Array<HeldPiece<T>> = [];
  let heldBytes = 0;
  return {
    push(raw: Uint8Array, at: number, tag: T): Array<HeldPiece<T>> {
      held.push({ raw, at, tag });
      const redacted = redactPieces(held.map((h) => h.raw), r);
      heldBytes = 0;
      redacted.forEach((b, i) => {
        held[i]!.raw = b;
        heldBytes += b.length;
      });
      const out: Array<HeldPiece<T>> = [];
      while (held.length > 1 && heldBytes - held[0]!.raw.length >= windowBytes) {
        const first = held.shift()!;
        heldBytes -= first.raw.length;
        out.push(first);
      }
      return out;
    },
    /** Release everything still held. */
    end(): Array<HeldPiece<T>> {
      heldBytes = 0;
      return held.splice(0);
    },
  };
}

export type PieceRedactor<T> = ReturnType<typeof createPieceRedactor<T>>;
