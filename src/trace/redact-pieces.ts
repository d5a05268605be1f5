import { applyRedaction, forResponse, type RedactionInput } from './redact.js';

/**
 * A body that is not SSE or NDJSON is kept as the reads it arrived in, and a secret can be cut by a
 * read boundary ("sk-ab" | "cdef…"). These helpers redact consecutive reads as one byte string and
 * give back the same number of reads: a match that straddles a boundary is replaced whole in the read
 * it starts in. Bytes are matched as Latin-1, so a read that ends inside a UTF-8 character is handled too. Pure.
 */
export function redactPieces(pieces: readonly Uint8Array[], secrets: RedactionInput = [], until?: number): Uint8Array[] {
  if (pieces.length === 0) return [];
  const view = Buffer.concat(pieces).toString('latin1');
  const bounds: number[] = [];
  let at = 0;
  for (const p of pieces.slice(0, -1)) bounds.push((at += p.length));
  const out = applyRedaction(view, forResponse(secrets), { bytes: true, bounds, until });
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
 * in it has been seen whole, and the result is the same as redacting the whole body at once (a key longer
 * than the window may keep its tail). Memory stays bounded by the window plus the last read.
 */
export function createPieceRedactor<T>(secrets: RedactionInput, windowBytes = 4096) {
  const r = forResponse(secrets);
  // Held reads are kept as they arrived (less any head a released read's match took over), so a match is
  // only ever decided with the whole window after its start in view.
  const held: Array<HeldPiece<T>> = [];
  let heldBytes = 0;
  return {
    push(raw: Uint8Array, at: number, tag: T): Array<HeldPiece<T>> {
      held.push({ raw, at, tag });
      heldBytes += raw.length;
      let release = 0;
      for (let after = heldBytes; release < held.length - 1 && after - held[release]!.raw.length >= windowBytes; release++) after -= held[release]!.raw.length;
      if (release === 0) return [];
      const redacted = redactPieces(
        held.map((h) => h.raw),
        r,
        release - 1,
      );
      heldBytes = 0;
      redacted.forEach((b, i) => {
        held[i]!.raw = b;
        if (i >= release) heldBytes += b.length;
      });
      return held.splice(0, release);
    },
    /** Release everything still held, redacted to the end. */
    end(): Array<HeldPiece<T>> {
      const redacted = redactPieces(
        held.map((h) => h.raw),
        r,
      );
      redacted.forEach((b, i) => (held[i]!.raw = b));
      heldBytes = 0;
      return held.splice(0);
    },
  };
}

export type PieceRedactor<T> = ReturnType<typeof createPieceRedactor<T>>;
