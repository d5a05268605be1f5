import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/**
 * Write one AWS event-stream message with string headers and a UTF-8 payload.
 *
 * @example
 * encodeEventStreamMessage({ ':message-type': 'exception', ':exception-type': 'throttlingException' }, '{"message":"slow down"}');
 */
export function encodeEventStreamMessage(headers: Record<string, string>, payload: string): Uint8Array {
  const h = Object.fromEntries(Object.entries(headers).map(([k, value]) => [k, { type: 'string' as const, value }]));
  return codec.encode({ headers: h, body: fromUtf8(payload) });
}

/**
 * The same message with the first half of its payload only: framing and CRCs stay valid, so a client
 * gets a well-formed message whose JSON does not parse. Bytes that are not a message are cut in half.
 *
 * @example
 * truncateEventStreamPayload(encodeEventStreamMessage({ ':event-type': 'a' }, '{"x":1234}')); // payload '{"x":'
 */
export function truncateEventStreamPayload(bytes: Uint8Array): Uint8Array {
  let message;
  try {
    message = codec.decode(bytes);
  } catch {
    return bytes.subarray(0, Math.floor(bytes.length / 2));
  }
  return codec.encode({ headers: message.headers, body: message.body.subarray(0, Math.floor(message.body.length / 2)) });
}

/**
 * The same message (headers kept) around a new payload, with its lengths and CRCs recomputed; undefined
 * when `bytes` is not a valid message.
 *
 * @example
 * withEventStreamPayload(message, '{"text":"[REDACTED]"}');
 */
export function withEventStreamPayload(bytes: Uint8Array, payload: string): Uint8Array | undefined {
  try {
    return codec.encode({ headers: codec.decode(bytes).headers, body: fromUtf8(payload) });
  } catch {
    return undefined;
  }
}
