import { isMainThread, threadId } from 'node:worker_threads';

/**
 * Which test run this process belongs to, so that record mode `all` replaces a shared cassette once per
 * run rather than once per test file: TRACEFORGE_RUN_ID when set, else the test runner's process. A
 * runner's worker thread (vitest `threads`, jest `workerThreads`) runs inside that process; a worker
 * process is its child: started with an IPC channel (vitest `forks`, jest's workers) or as one of
 * `node --test`'s files (NODE_TEST_CONTEXT). A runner that runs files in its own process (jest
 * `--runInBand`, `--no-isolate`) is the process itself.
 */
export function testRunId(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TRACEFORGE_RUN_ID) return `id:${env.TRACEFORGE_RUN_ID}`;
  const child = isMainThread && (typeof process.send === 'function' || !!env.NODE_TEST_CONTEXT);
  return `pid:${child ? process.ppid : process.pid}`;
}

let sessions = 0;

/** Who records, when no test file is known (openCassette called directly): each session is its own. */
export function sessionKey(): string {
  return `session:${process.pid}.${threadId}.${++sessions}`;
}
