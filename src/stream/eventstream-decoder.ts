import { crc32 } from 'node:zlib';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { ByteBuffer } from './byte-buffer.js';
import type { Frame, FrameDecoder } from './frame.js';

/** Prelude: total length (4), headers length (4), prelude CRC (4); then headers, payload, message CRC (4). */
const PRELUDE = 12;
const MIN_MESSAGE = PRELUDE + 4;
/** The AWS event stream caps a message at 16 MiB of payload and 128 KiB of headers; above that the prelude is not believed. */
const MAX_MESSAGE = 16 * 1024 * 1024 + 128 * 1024 + MIN_MESSAGE;

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const lenient = new TextDecoder('utf-8', { ignoreBOM: true });

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
}

/** A prelude whose lengths are possible and whose CRC matches; anything else means we lost the framing. */
function preludeOk(b: Uint8Array): boolean {
  const total = u32(b, 0);
  const headers = u32(b, 4);
  return total >= MIN_MESSAGE && total <= MAX_MESSAGE && headers <= total - MIN_MESSAGE && crc32(b.subarray(0, 8)) === u32(b, 8);
}

function stringHeader(headers: Record<string, { type: string; value: unknown }>, name: string): string | undefined {
  const h = headers[name];
  return h && h.type === 'string' ? (h.value as string) : undefined;
}

/** One complete message as a frame; a message whose CRC does not match is kept as a partial frame. */
function messageFrame(raw: Uint8Array): Frame {
  let message;
  try {
    message = codec.decode(raw);
  } catch {
    return { raw, partial: true, binary: true };
  }
  const frame: Frame = { raw, binary: true };
  const h = message.headers as Record<string, { type: string; value: unknown }>;
  const kind = stringHeader(h, ':message-type');
  // An event names itself in :event-type, a modelled exception in :exception-type, an unmodelled error in :error-code.
  const event = kind === 'exception' ? stringHeader(h, ':exception-type') : kind === 'error' ? stringHeader(h, ':error-code') : stringHeader(h, ':event-type');
  if (event !== undefined) frame.event = event;
  frame.data = lenient.decode(message.body);
  return frame;
}

/**
 * Incremental decoder for AWS `application/vnd.amazon.eventstream` (Bedrock's streaming framing):
 * one {@link Frame} per binary message, `raw` its exact bytes, `event` its `:event-type` (or
 * `:exception-type` / `:error-code`), `data` its payload as UTF-8 text (JSON for Bedrock). A message
 * is complete when the bytes its 4-byte length prefix announces have arrived, whatever the reads.
 *
 * Never throws on bad input: a message whose CRC is wrong is kept as a partial frame and decoding
 * goes on after it (its length was trustworthy); a prelude that is not believable means the framing
 * is lost, so that and every later read is kept as raw partial frames, bytes untouched.
 *
 * @example
 * const d = createEventStreamDecoder();
 * d.push(body.subarray(0, 100), 1);  // -> [] (the first message is 143 bytes)
 * d.push(body.subarray(100), 2);     // -> [{ raw, event: 'messageStart', data: '{"role":"assistant",...}', at: 2, binary: true }, ...]
 */
export function createEventStreamDecoder(): FrameDecoder {
  const pending = new ByteBuffer();
  let lost = false;

  function stamp(frame: Frame, at: number | undefined): Frame {
    if (at !== undefined) frame.at = at;
    return frame;
  }

  function push(chunk: Uint8Array, at?: number): Frame[] {
    if (chunk.length === 0) return [];
    if (lost) return [stamp({ raw: chunk.slice(), partial: true, binary: true }, at)];
    pending.append(chunk);
    const out: Frame[] = [];
    const view = pending.view();
    let start = 0;
    while (view.length - start >= PRELUDE) {
      const prelude = view.subarray(start, start + PRELUDE);
      if (!preludeOk(prelude)) {
        lost = true;
        out.push(stamp({ raw: view.slice(start), partial: true, binary: true }, at));
        start = view.length;
        break;
      }
      const total = u32(prelude, 0);
      if (view.length - start < total) break;
      out.push(stamp(messageFrame(view.slice(start, start + total)), at));
      start += total;
    }
    if (start > 0) {
      // Keep only the unfinished message; it is shorter than one message plus this read, so this stays linear.
      const rest = view.slice(start);
      pending.clear();
      pending.append(rest);
    }
    return out;
  }

  function end(at?: number): Frame[] {
    const out: Frame[] = [];
    // A message cut short by the end of the body keeps its bytes.
    if (pending.length > 0) out.push(stamp({ raw: pending.take(), partial: true, binary: true }, at));
    pending.clear();
    lost = false;
    return out;
  }

  return { framing: 'eventstream', push, end };
}
