/**
 * Byte helpers shared by the codecs and by trace storage. Stored frames must come back byte for
 * byte, so text is only used when it round-trips exactly; anything else is kept as base64.
 */

// ignoreBOM: a leading U+FEFF is content here, dropping it would lose bytes.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** How a byte string is kept in JSON/YAML: UTF-8 text, or base64 when it is not valid UTF-8. */
export interface StoredBytes {
  raw: string;
  raw_encoding?: 'base64';
}

/**
 * Turn bytes into a storable string, exact in both directions (see {@link storedToBytes}).
 *
 * @example
 * bytesToStored(new TextEncoder().encode('data: hi\n\n')); // { raw: 'data: hi\n\n' }
 * bytesToStored(new Uint8Array([0xff]));                  // { raw: '/w==', raw_encoding: 'base64' }
 */
export function bytesToStored(b: Uint8Array): StoredBytes {
  try {
    return { raw: strictUtf8.decode(b) };
  } catch {
    return { raw: Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64'), raw_encoding: 'base64' };
  }
}

/**
 * Inverse of {@link bytesToStored}.
 *
 * @example
 * storedToBytes('/w==', 'base64'); // Uint8Array [0xff]
 */
export function storedToBytes(raw: string, enc?: 'base64'): Uint8Array {
  if (enc === 'base64') {
    const buf = Buffer.from(raw, 'base64');
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  return encoder.encode(raw);
}

/** Join byte pieces into one fresh array; `tail` may be a view into a caller's buffer (it is copied). */
export function concatBytes(parts: readonly Uint8Array[], tail?: Uint8Array): Uint8Array {
  if (parts.length === 0) return tail ? tail.slice() : new Uint8Array(0);
  let total = tail ? tail.length : 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  if (tail) out.set(tail, at);
  return out;
}
