/** Benchmark size: the full run (about 4-5 minutes) or `--quick` / BENCH_QUICK=1 (under a minute). */
export interface BenchOptions {
  quick: boolean;
  /** Chunks in the jittered stream (>= 500 in a full run). */
  chunks: number;
  /** Concurrent replays for the issue-2 check. */
  replays: number;
  /** Concurrent streams through one recorder. */
  recorderStreams: number;
  /** Concurrent replays of one cassette on one server. */
  loadReplays: number;
  /** Bytes of the big-stream recording. */
  bigBytes: number;
  /** Sequential calls recorded into one cassette by the session run (issue 10). */
  sessionCalls: number;
  /** Concurrent calls recorded into one cassette by the session run. */
  sessionConcurrent: number;
  /** Build and load a ~250 MB cassette (skipped by --quick). */
  bigCassette: boolean;
}

export function benchOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const quick = argv.includes('--quick') || env.BENCH_QUICK === '1';
  return quick
    ? { quick, chunks: 150, replays: 100, recorderStreams: 50, loadReplays: 200, bigBytes: 64 * 1048576, sessionCalls: 30, sessionConcurrent: 50, bigCassette: false }
    : { quick, chunks: 601, replays: 100, recorderStreams: 200, loadReplays: 1000, bigBytes: 200 * 1048576, sessionCalls: 200, sessionConcurrent: 200, bigCassette: true };
}
