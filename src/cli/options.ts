import { TraceForgeError } from '../errors.js';

/** Parse helpers shared by commands, so every bad flag value gets the same kind of message. */
export function parsePort(value: unknown, flag: string, fallback: number): number {
  if (value === undefined || value === true) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new TraceForgeError('E_USAGE', `${flag} must be a port number 0-65535, got "${String(value)}"`);
  }
  return n;
}

export function parseNumber(value: unknown, flag: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) {
    throw new TraceForgeError('E_USAGE', `${flag} must be a number >= ${min}, got "${String(value)}"`);
  }
  return n;
}

/** A whole-number flag (`--limit 20`); undefined when absent. */
export function parseWhole(value: unknown, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value === true || value === '' || !Number.isInteger(n) || n < min) throw new TraceForgeError('E_USAGE', `${flag} must be a whole number >= ${min}, got "${String(value)}"`);
  return n;
}

export function parseUrl(value: unknown, flag: string): URL | undefined {
  if (value === undefined) return undefined;
  try {
    const u = new URL(String(value));
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    return u;
  } catch {
    throw new TraceForgeError('E_USAGE', `${flag} must be an http(s) URL such as https://api.openai.com, got "${String(value)}"`);
  }
}

export function optionalString(value: unknown, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new TraceForgeError('E_USAGE', `${flag} needs a value`);
  return value;
}
