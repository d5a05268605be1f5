/** Something the CLI writes to: the process's stdout or stderr from bin.ts, a buffer in tests. */
export interface CliStream {
  write(text: string): unknown;
  /** Colour and the terminal UI only for a terminal. */
  isTTY?: boolean;
  /** Width for tables and text views; unset for pipes. */
  columns?: number;
}

/**
 * What one run of the CLI reads and writes besides its arguments. bin.ts passes the process's own
 * (processIO); tests pass buffers, an environment and an interrupt they fire themselves, and call
 * main() in-process. Paths in arguments stay relative to process.cwd().
 */
export interface CliIO {
  stdout: CliStream;
  stderr: CliStream;
  /** Only isTTY is read: the terminal UI opens when stdin and stdout are both terminals. */
  stdin: { isTTY?: boolean };
  /** Read for colour (NO_COLOR, FORCE_COLOR, TERM) and the base of the environment `record` and `sweep` give their command. */
  env: NodeJS.ProcessEnv;
  /**
   * Calls `listener` on every Ctrl-C (SIGINT) or SIGTERM until the returned function is called. `record`
   * and `replay` stop on the first; a second one makes `record` cut the calls still in flight.
   */
  onInterrupt(listener: (signal: NodeJS.Signals) => void): () => void;
}

/** The process's own streams, environment and signals. */
export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // A getter: reading process.stdin creates the stream, which only the terminal UI needs.
    stdin: {
      get isTTY() {
        return process.stdin.isTTY;
      },
    },
    env: process.env,
    onInterrupt(listener) {
      process.on('SIGINT', listener);
      process.on('SIGTERM', listener);
      return () => {
        process.off('SIGINT', listener);
        process.off('SIGTERM', listener);
      };
    },
  };
}

/** Resolve on the first interrupt; the caller then flushes and returns 0. */
export function untilInterrupt(io: CliIO): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const off = io.onInterrupt((signal) => {
      off();
      resolve(signal);
    });
  });
}
