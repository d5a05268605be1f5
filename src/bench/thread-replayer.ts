import { startReplayThread } from '../replay/replay-thread.js';

/**
 * The replay thread (what useCassette starts) in a fresh process, for the cold-start bench:
 * `node dist/bench/thread-replayer.js CASSETTE` prints `listening on URL` once the thread is ready
 * and, on SIGINT, the thread's lateness summary as one JSON line on stderr.
 */
const replay = await startReplayThread({ cassette: process.argv[2]! });
process.stdout.write(`listening on ${replay.url}\n`);
process.once('SIGINT', () => {
  process.stderr.write(`${JSON.stringify(replay.lateness())}\n`);
  void replay.close();
});
