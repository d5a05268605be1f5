import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

// Taken at load: while a virtual-clock session is open, the module's Worker is wrapped to say that an
// app's worker runs on the wall clock (src/virtual/child-note.ts); TraceForge's own threads are not the app's.
const OwnWorker = Worker;

/**
 * Start a worker thread on the module `name` next to the caller (`from` is the caller's
 * `import.meta.url`, `name` has no extension). Built, it runs `name.js`; run from the TypeScript
 * sources (vitest), the worker loads `name.ts` through tsx, since a worker is a fresh Node that
 * vitest does not transform.
 */
export function spawnWorker(from: string, name: string, options: WorkerOptions = {}): Worker {
  if (!from.endsWith('.ts')) return new OwnWorker(new URL(`./${name}.js`, from), options);
  // The `import` condition of tsx's `./esm/api` export (require.resolve would give its CommonJS twin).
  const tsx = pathToFileURL(createRequire(from).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const entry = new URL(`./${name}.ts`, from).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new OwnWorker(boot, { ...options, eval: true });
}
