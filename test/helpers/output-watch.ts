/**
 * The stdout and stderr of a CLI run as they arrive, and waiting for a line in them: shared by the
 * in-process runs (run-main.ts) and the spawned ones (record/cli-process.ts).
 */
export interface OutputWatch {
  readonly stdout: string;
  readonly stderr: string;
  out(text: string): void;
  err(text: string): void;
  /** Resolves with the first match of `pattern` in stdout + stderr, as soon as it appears; rejects with `gone()` once `ended` settles first. */
  waitFor(pattern: RegExp, ended: Promise<unknown>, gone: () => Error): Promise<RegExpMatchArray>;
}

export function watchOutput(): OutputWatch {
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ pattern: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  const check = () => {
    for (const w of [...waiters]) {
      const m = (stdout + stderr).match(w.pattern);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  return {
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    out(text) {
      stdout += text;
      check();
    },
    err(text) {
      stderr += text;
      check();
    },
    waitFor(pattern, ended, gone) {
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        check();
        void ended.then(() => reject(gone()));
      });
    },
  };
}
