/**
 * `traceforge/sweep`: the faults worth running against a recorded stream, for `describe.each`, and the
 * runner behind `traceforge sweep`.
 *
 * @example
 * import { sweepFaults } from 'traceforge/sweep';
 * import { useCassette } from 'traceforge/vitest';
 * describe.each(sweepFaults('fixtures/chat.yaml'))('%s', (fault) => {
 *   const cassette = useCassette('fixtures/chat.yaml', { faults: [fault] });
 *   it('survives it', async () => { ... });
 * });
 */
export { sweepFaults, loadSweepTarget, DEFAULT_BUDGET, DEFAULT_STALL_MS, DEFAULT_STATUSES, SWEEP_KINDS, type SweepOptions, type SweepTarget, type SweepFault, type SweepKind } from './sweep/index.js';
export { faultsForTrace, streamPoints, analyzeStream, type StreamPoint, type ChunkRole, type PointOptions } from './sweep/points.js';
export { SWEEP_CONFIRM_RUNS } from './sweep/limits.js';
export { runSweep, checkSweepPlan, type SweepRunOptions, type SweepReport, type FaultRun } from './sweep/run.js';
