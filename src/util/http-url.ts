import { TraceForgeError } from '../errors.js';
import { shortText } from './one-line.js';

/**
 * `text` as an http(s) URL with a host, or undefined. Stricter than `new URL`, which takes `http:host`,
 * `http:/host`, surrounding spaces and tabs or newlines inside, and `file:`, `data:` or `ftp:` URLs that
 * would only fail later, on the first request.
 */
export function httpUrlOf(text: string): URL | undefined {
  // eslint-disable-next-line no-control-regex
  if (!/^https?:\/\/[^/?#\s]+/i.test(text) || /[\u0000-\u0020\u007f-\u009f]/.test(text)) return undefined;
  try {
    const u = new URL(text);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' ? u : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `text` as an http(s) URL with a host; anything else is a one-line usage error naming `what` (a flag or
 * an environment variable) and the value.
 * @example parseHttpUrl(process.env.TRACEFORGE_UPSTREAM!, 'TRACEFORGE_UPSTREAM')
 */
export function parseHttpUrl(text: string, what: string): URL {
  const u = httpUrlOf(text);
  if (!u) throw new TraceForgeError('E_USAGE', `${what} must be an http(s) URL with a host, such as http://localhost:8000 or https://api.openai.com, got "${shortText(text)}"`);
  return u;
}
