/**
 * Recorded data (model names, endpoints, ids, error text, headers, content) is printed by `trace list`,
 * `trace view`, `trace diff`, the TUI and the recorder's log line. An upstream or a client can put
 * terminal escape sequences in any of it (`ESC ] 0 ; title BEL` sets the window title, OSC 52 writes
 * the clipboard, `ESC [ 2 J` clears the screen), so everything printed from it goes through `visible`.
 */

/**
 * C0 controls, DEL, C1 controls (a lone `\u009b` is CSI on many terminals), and the bidi overrides and
 * isolates that reorder what is shown.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every control character shown as a visible escape: `\x1b`, `\x07`, `\x7f` for C0 and DEL,
 * `\u009b`, `\u202e` for C1 and bidi controls. Characters in `keep` (by default newline and tab, which
 * multi-line views lay out themselves) are left as they are. Idempotent: its output holds no controls
 * other than those kept.
 *
 * @example
 * visible('gpt\u001b]0;PWNED\u0007'); // 'gpt\\x1b]0;PWNED\\x07'
 * visible('a\nb', '');               // 'a\\x0ab'
 */
export function visible(text: string, keep = '\n\t'): string {
  return text.replace(CONTROL, (c) => {
    if (keep.includes(c)) return c;
    const code = c.charCodeAt(0);
    return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** True when `text` holds a character `visible` would escape (other than newline and tab). */
export function hasControls(text: string): boolean {
  CONTROL.lastIndex = 0;
  return [...text.matchAll(CONTROL)].some((m) => m[0] !== '\n' && m[0] !== '\t');
}

/** `JSON.stringify`, with DEL and the C1 and bidi controls (which JSON leaves raw) written as `\u` escapes: still valid JSON, and safe to print. */
export function safeJson(value: unknown, space?: number): string {
  // eslint-disable-next-line no-control-regex
  return JSON.stringify(value, null, space).replace(/[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
