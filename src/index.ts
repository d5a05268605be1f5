/**
 * TraceForge programmatic API: record streaming LLM calls through a proxy, replay them
 * byte- and timing-exact, and read or write traces and cassettes.
 */
export { TraceForgeError, isTraceForgeError, type TraceForgeErrorCode } from './errors.js';
export { startRecorder, type Recorder, type RecorderOptions } from './record/recorder.js';
export { startReplayServer, type ReplayServer, type ReplayServerOptions } from './replay/replay-server.js';
export { parseFault, formatFault, type Fault } from './replay/faults.js';
export type { LatenessSummary } from './replay/lateness.js';
export { readTraceStream } from './store/trace-stream-read.js';
export { openCassette, type CassetteSession, type CassetteSessionOptions } from './session.js';
export { resolveRecordMode, RECORD_MODES, type RecordMode } from './record-mode.js';
export { createMatcher, type MatchOptions, type MissExplanation } from './cassette/match.js';
export { parseCassette, stringifyCassette, emptyCassette, type Cassette } from './cassette/codec.js';
export { loadCassette, writeCassette, appendToCassette } from './store/cassette-file.js';
export { createTraceStore, DEFAULT_TRACES_DIR, type TraceStore } from './store/trace-store.js';
export { parseTrace, stringifyTrace } from './trace/codec.js';
export { reconstruct, summarize, detectProvider } from './trace/reconstruct.js';
export { redactString, redactValue, collectSecrets, createRedaction, type RedactOptions, type Redaction } from './trace/redact.js';
export type { Trace, TraceChunk, TraceMetadata, TraceTiming, HttpExchange, Provider, Outcome } from './trace/types.js';
export * from './stream/index.js';
export { generateFromTrace, listTemplates } from './gen/index.js';
