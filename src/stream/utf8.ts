/**
 * Line text decoding for the codecs. Lines are decoded from their complete bytes, so a character
 * split across two reads is never mangled. Invalid bytes become U+FFFD, as the WHATWG UTF-8 decode does.
 */

// ignoreBOM: each decode() call would otherwise drop a U+FEFF at the start of every line, not just the stream's.
const lenient = new TextDecoder('utf-8', { ignoreBOM: true });

/** True when `b` starts with the UTF-8 byte order mark EF BB BF. */
export function startsWithBom(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;
}

/** Decode one line's bytes; `first` strips a leading BOM, which only the stream's first line may carry. */
export function decodeLine(b: Uint8Array, first: boolean): string {
  return lenient.decode(first && startsWithBom(b) ? b.subarray(3) : b);
}
