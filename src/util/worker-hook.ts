/**
 * The one wrapper of `worker_threads.Worker`: while any hook is registered, a worker the app starts
 * passes through each hook, which may say something about it or change its options (the interception
 * seals it). `syncBuiltinESMExports` carries the wrapper to ESM named imports
 * (`import { Worker } from 'node:worker_threads'`). TraceForge's own threads take the constructor at
 * load (src/util/spawn-worker.ts) and never pass here.
 */
import { syncBuiltinESMExports } from 'node:module';
import wt from 'node:worker_threads';
import { shortText } from './one-line.js';

export interface WorkerStart {
  file: string | URL;
  options: wt.WorkerOptions | undefined;
  /** `new Worker(<file>)` or `new Worker(<code>)`, one printable line. */
  shown: string;
}
export type WorkerHook = (start: WorkerStart) => wt.WorkerOptions | undefined | void;

const hooks = new Set<WorkerHook>();
let Original: typeof wt.Worker | undefined;

/** Run `hook` for every worker started until the returned function is called. */
export function hookWorkers(hook: WorkerHook): () => void {
  if (!Original) {
    const Base = wt.Worker;
    Original = Base;
    (wt as { Worker: typeof wt.Worker }).Worker = class Worker extends Base {
      constructor(file: string | URL, options?: wt.WorkerOptions) {
        const shown = shortText(options?.eval ? 'new Worker(<code>)' : `new Worker(${String(file)})`, 120);
        let o = options;
        for (const h of [...hooks]) o = h({ file, options: o, shown }) ?? o;
        super(file, o);
      }
    };
    syncBuiltinESMExports();
  }
  hooks.add(hook);
  return () => {
    if (!hooks.delete(hook) || hooks.size > 0 || !Original) return;
    (wt as { Worker: typeof wt.Worker }).Worker = Original;
    Original = undefined;
    syncBuiltinESMExports();
  };
}
