/**
 * A response's reason phrase as a trace holds it: one character per byte of the status line after the
 * code, U+0000-U+00FF, which is how Node's HTTP parser hands it over (latin1). Any byte but CR and LF
 * (which end the line) can come from an upstream, escape sequences, DEL and non-UTF-8 bytes included,
 * so all of them are kept: the cassette writes the controls as `\x` escapes and reads them back exactly.
 */

/** What a recorded reason phrase can hold. */
// eslint-disable-next-line no-control-regex
const STORABLE = /^[^\r\n\u0100-\uffff]*$/;

/** What Node's `writeHead` and fetch's `Response` accept: tab, printable ASCII and bytes 0x80-0xff. */
// eslint-disable-next-line no-control-regex
const UNSENDABLE = /[^\t\x20-\x7e\x80-\xff]/g;

export const STATUS_MESSAGE_RULE = 'a one-line string of characters U+0000-U+00FF (one per byte of the reason phrase)';

export function isStorableStatusMessage(v: unknown): v is string {
  return typeof v === 'string' && STORABLE.test(v);
}

/**
 * The closest phrase Node lets a server send or a `Response` carry: the same bytes without the control
 * characters (C0 but tab, and DEL) that `writeHead` refuses with ERR_INVALID_CHAR. Everything else goes
 * out as recorded, byte for byte.
 */
export function sendableStatusMessage(phrase: string): string {
  UNSENDABLE.lastIndex = 0;
  return UNSENDABLE.test(phrase) ? phrase.replace(UNSENDABLE, '') : phrase;
}
