/**
 * Checking a client frame at replay against the one recorded at its place: same opcode, and the same
 * JSON (key order aside, volatile fields such as `event_id` left out), or the same bytes when it is not
 * JSON. A difference is told as the JSON path and both values, like an HTTP miss. Pure.
 */
import { canonicalize, diffPaths, getPath } from '../cassette/canonical.js';
import { REDACTED } from '../trace/redact.js';
import { frameBytes, type WsFrame } from './tape.js';

/** Fields that differ on every run of the same app: left out of the check unless the user says otherwise. */
export const DEFAULT_VOLATILE_FIELDS: readonly string[] = ['event_id'];

export interface FrameDifference {
  /** `opcode`, `payload` (not JSON), or a JSON path such as `$.session.instructions`. */
  path: string;
  recorded: string;
  received: string;
}

const preview = (v: unknown): string => {
  const s = v === undefined ? '(absent)' : typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
};

function json(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** The first difference between a recorded client frame and the one received, or undefined when they match. */
export function compareFrame(recorded: WsFrame, received: { binary: boolean; bytes: Uint8Array }, volatile: readonly string[] = DEFAULT_VOLATILE_FIELDS): FrameDifference | undefined {
  const got = Buffer.from(received.bytes.buffer, received.bytes.byteOffset, received.bytes.byteLength);
  if ((recorded.opcode === 'binary') !== received.binary) return { path: 'opcode', recorded: recorded.opcode, received: received.binary ? 'binary' : 'text' };
  const want = frameBytes(recorded);
  if (want.equals(got)) return undefined;
  const a = json(want.toString('utf8'));
  const b = json(got.toString('utf8'));
  if (!a.ok || !b.ok) return { path: 'payload', recorded: preview(want.toString(recorded.text !== undefined ? 'utf8' : 'base64')), received: preview(got.toString(recorded.text !== undefined ? 'utf8' : 'base64')) };
  const x = canonicalize(a.value, volatile);
  const y = canonicalize(b.value, volatile);
  // A recorded `[REDACTED]` stood for a secret the app sent: any value there matches.
  const path = diffPaths(x, y, 50, '$').find((p) => getPath(x, p.slice(1)) !== REDACTED);
  if (path === undefined) return undefined;
  const sub = path.slice(1);
  return { path, recorded: preview(sub ? getPath(x, sub) : x), received: preview(sub ? getPath(y, sub) : y) };
}
