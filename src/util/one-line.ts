/**
 * Error messages are printed as one line. Inputs that end up in them (file paths, ids, parser
 * messages) can hold newlines, escape sequences or megabytes of text, so they go through these first.
 */

const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Control characters written as JSON escapes (`\n`, `\u001b`), so a message stays one line and cannot drive the terminal. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `oneLine`, and cut in the middle when longer than `max` characters: both ends of a path say the most. */
export function shortText(text: string, max = 200): string {
  const line = oneLine(text);
  if (line.length <= max) return line;
  const tail = Math.floor(max / 3);
  return `${line.slice(0, max - tail - 1)}…${line.slice(-tail)}`;
}
