/**
 * TraceForge programmatic API: record streaming LLM calls through a proxy, replay them byte- and
 * timing-exact, and read traces and cassettes. Every runtime name here is documented in docs/api.md
 * (test/api/exports.test.ts keeps the two in step); anything else under src/ is internal.
 */
export { TraceForgeError, isTraceForgeError, type TraceForgeErrorCode } from './errors.js';

// Recording and replaying.
export { startRecorder, type Recorder, type RecorderOptions } from './record/recorder.js';
export { startReplayServer, type ReplayServer, type ReplayServerOptions } from './replay/replay-server.js';
export { parseFault, formatFault, type Fault } from './replay/faults.js';
export { busyMachineNote, type LatenessSummary } from './replay/lateness.js';
export { openCassette, type CassetteSession, type CassetteSessionOptions, type ClockKind } from './session.js';
export type { InterceptOptions } from './intercept/index.js';
export { RECORD_MODES, type RecordMode } from './record-mode.js';

// Files.
export { loadCassette, writeCassette, appendToCassette } from './store/cassette-file.js';
export type { Cassette } from './cassette/codec.js';
export { createTraceStore, DEFAULT_TRACES_DIR, type TraceStore } from './store/trace-store.js';
export { parseTrace, stringifyTrace } from './trace/codec.js';
export type { Trace, TraceChunk, TraceMetadata, TraceTiming, HttpExchange, Provider, Outcome } from './trace/types.js';
export type { RedactOptions } from './trace/redact.js';
export type { MissExplanation } from './cassette/match.js';

// Reading what was recorded: the provider's response rebuilt from a stream. The stream codecs
// (SSE, NDJSON, AWS event stream) are in `traceforge/stream`.
export { reconstruct, summarize } from './trace/reconstruct.js';
export type { Frame, Framing } from './stream/frame.js';

// Tests from traces.
export { generateFromTrace } from './gen/index.js';
