/**
 * One error type for the whole library. `code` is stable so callers and tests can branch on it;
 * the message says what happened, which input caused it and how to fix it.
 */
export type TraceForgeErrorCode =
  | 'E_CASSETTE_NOT_FOUND'
  | 'E_CASSETTE_INVALID'
  | 'E_CASSETTE_LOCKED'
  | 'E_CASSETTE_LIMIT'
  | 'E_TRACE_NOT_FOUND'
  | 'E_TRACE_AMBIGUOUS'
  | 'E_TRACE_INVALID'
  | 'E_BAD_ID'
  | 'E_REPLAY_MISS'
  | 'E_USAGE'
  | 'E_PORT_IN_USE'
  | 'E_GEN'
  | 'E_PATH'
  | 'E_MOCKTTP'
  | 'E_RECORDER';

/**
 * @example
 * try {
 *   await loadCassette('fixtures/typo.yaml');
 * } catch (e) {
 *   if (isTraceForgeError(e) && e.code === 'E_CASSETTE_NOT_FOUND') console.error(e.message);
 * }
 */
export class TraceForgeError extends Error {
  readonly code: TraceForgeErrorCode;
  /** Extra machine-readable detail (a replay miss explanation, candidate ids...). */
  readonly detail?: unknown;

  constructor(code: TraceForgeErrorCode, message: string, options: { cause?: unknown; detail?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TraceForgeError';
    this.code = code;
    this.detail = options.detail;
  }
}

/** True for errors TraceForge threw (in this copy of the package); see {@link TraceForgeError} for an example. */
export function isTraceForgeError(e: unknown): e is TraceForgeError {
  return e instanceof TraceForgeError;
}
