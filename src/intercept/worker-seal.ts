/**
 * Worker threads the app (or a test) starts while a cassette is in use are sealed too: each starts with
 * a preload (`--require`) that installs the same interception in the worker before its own code runs,
 * synchronously. A worker has a fetch, an undici and a node:http of its own; their calls to served hosts
 * go to the session's server (on the wall clock: a worker does not share the test's fake clock), and under
 * CI calls to other hosts are refused, as in the test's own thread. The seal stays for the worker's life.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wt from 'node:worker_threads';
import { decideFor, type Entry } from './decide.js';
import { interceptingDispatcher } from './fetch-dispatcher.js';
import { parseHostRule } from './hosts.js';
import { installHttp2Guard } from './http2-guard.js';
import { installNodeHttpInterception } from './node-http.js';
import { patchUndiciClients } from './undici-clients.js';
import type { WorkerStart } from '../util/worker-hook.js';

/** The environment variable that carries the seal's settings to the worker's preload. */
export const SEAL_ENV = 'TRACEFORGE_WORKER_SEAL';

export interface WorkerSeal {
  /** The session's server, where served calls go. */
  target: string;
  hosts: string[];
  unmatched: 'pass' | 'error';
}

/** Inside a worker, before its code: route its fetch, undici, node:http/https and http2 calls as the seal says. */
export function sealWorker(seal: WorkerSeal): void {
  const entry: Entry = { target: new URL(seal.target), rules: seal.hosts.map(parseHostRule), unmatched: seal.unmatched, blocked: [] };
  const decide = (url: URL) => decideFor(entry, url);
  // CommonJS, so that the seal is in place synchronously; undici puts its own Agent in the global slot
  // when it loads, which is what a fetch in this worker would have used anyway.
  const undici = createRequire(import.meta.url)('undici') as typeof import('undici');
  undici.setGlobalDispatcher(interceptingDispatcher(undici, undici.getGlobalDispatcher(), decide));
  installNodeHttpInterception(undici, decide);
  patchUndiciClients(undici, decide);
  installHttp2Guard(decide);
}

let preload: string | undefined;
/**
 * The file a sealed worker is started with (`--require`), written once per process: it loads this
 * module (the built one, or the TypeScript source through tsx when TraceForge runs from its sources).
 */
function preloadFile(): string {
  if (preload) return preload;
  const self = fileURLToPath(import.meta.url);
  const load = self.endsWith('.ts') ? `require(${JSON.stringify(createRequire(import.meta.url).resolve('tsx/cjs/api'))}).register();\n` : '';
  const text =
    `'use strict';\n// Written by TraceForge: seals a worker thread started while a cassette is in use (src/intercept/worker-seal.ts).\n` +
    `const seal = process.env.${SEAL_ENV};\n` +
    `if (seal && !require('node:worker_threads').isMainThread) {\n${load}  require(${JSON.stringify(self)}).sealWorker(JSON.parse(seal));\n}\n`;
  // A directory of its own (mode 0700): nobody else can put another file in its place.
  const file = join(mkdtempSync(join(tmpdir(), 'traceforge-seal-')), 'worker-seal.cjs');
  writeFileSync(file, text, { mode: 0o600 });
  return (preload = file);
}

/** A worker's options with the seal added. */
export function sealedOptions(start: WorkerStart, seal: WorkerSeal): wt.WorkerOptions {
  const options = start.options ?? {};
  const value = JSON.stringify(seal);
  let env = options.env;
  // A worker sharing this thread's environment reads the variable from here.
  if (env === wt.SHARE_ENV) process.env[SEAL_ENV] = value;
  else env = { ...((env as NodeJS.ProcessEnv | undefined) ?? process.env), [SEAL_ENV]: value };
  return { ...options, env, execArgv: [...(options.execArgv ?? process.execArgv), '--require', preloadFile()] };
}
