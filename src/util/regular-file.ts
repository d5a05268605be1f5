import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { TraceForgeError, type TraceForgeErrorCode } from '../errors.js';
import { shortText } from './one-line.js';

/**
 * What a path is when it is not a regular file, or undefined for a regular file. Reading a FIFO blocks until
 * something writes to it (forever, for a stray `mkfifo`), a character device may never end, and a socket or
 * directory cannot be read as a file at all: only regular files are opened for reading.
 */
export function irregularKind(info: Stats): string | undefined {
  if (info.isFile()) return undefined;
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

function refusal(path: string, kind: string, code: TraceForgeErrorCode, hint: string): TraceForgeError {
  return new TraceForgeError(code, `${shortText(path)} is ${kind}, not a regular file, so it is not read (it could block forever): ${hint}`);
}

/**
 * Stat `path` and refuse it, in one line, unless it is a regular file; returns its stats. Stat errors
 * (ENOENT...) pass through for the caller's own message.
 * @example const { size } = await statRegularFile(path, 'E_TRACE_INVALID', 'remove it from .ai-tests/traces');
 */
export async function statRegularFile(path: string, code: TraceForgeErrorCode, hint: string): Promise<Stats> {
  const info = await stat(path);
  const kind = irregularKind(info);
  if (kind) throw refusal(path, kind, code, hint);
  return info;
}
