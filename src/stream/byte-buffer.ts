/**
 * An append-only byte buffer that grows by doubling, for the bytes of a frame that spans reads.
 * Appends are amortised O(1) per byte and allocate nothing per read, so a stream of 1-byte reads
 * costs the same as one big read; repeated `concat` of the pending bytes would be quadratic.
 */
export class ByteBuffer {
  private buf = new Uint8Array(0);
  length = 0;

  append(src: Uint8Array): void {
    const need = this.length + src.length;
    if (need > this.buf.length) {
      const next = new Uint8Array(Math.max(need, this.buf.length * 2, 256));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    this.buf.set(src, this.length);
    this.length = need;
  }

  /** A view of [start, length); valid only until the next append or clear. */
  view(start = 0): Uint8Array {
    return this.buf.subarray(start, this.length);
  }

  /** A fresh copy of everything held, followed by `tail`; then empty. */
  take(tail?: Uint8Array): Uint8Array {
    const out = new Uint8Array(this.length + (tail ? tail.length : 0));
    out.set(this.buf.subarray(0, this.length));
    if (tail) out.set(tail, this.length);
    this.clear();
    return out;
  }

  clear(): void {
    this.length = 0;
    // Do not pin the memory of one huge frame for the rest of the stream.
    if (this.buf.length > 65_536) this.buf = new Uint8Array(0);
  }
}
