/**
 * A child process, or a worker thread, does not share the test's fake clock or its interception. While a virtual-clock
 * session is open, starting one is said in one line (once per session), naming the command and what to
 * do instead. `child_process` is wrapped through its public exports, and `syncBuiltinESMExports` carries
 * the wrapper to ESM named imports (`import { spawn } from 'node:child_process'`) as well.
 */
import cp from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { promisify } from 'node:util';
import { shortText } from '../util/one-line.js';
import { hookWorkers } from '../util/worker-hook.js';

const NAMES = ['spawn', 'fork', 'exec', 'execFile', 'spawnSync', 'execSync', 'execFileSync'] as const;
type Name = (typeof NAMES)[number];

const listeners = new Set<(command: string) => void>();
let originals: Partial<Record<Name, (...args: unknown[]) => unknown>> | undefined;
let unhookWorkers: (() => void) | undefined;

function describe(name: Name, args: unknown[]): string {
  const [file, rest] = args;
  const argv = Array.isArray(rest) ? rest.map(String) : [];
  const text = name === 'fork' ? `node ${String(file)} ${argv.join(' ')}` : `${String(file)} ${argv.join(' ')}`;
  // One line, printable only: the command may carry anything.
  return shortText(text.trim(), 120);
}

/** Call `onChild` with the command of every child process (or worker thread) started until the returned function is called. */
export function watchChildProcesses(onChild: (command: string) => void): () => void {
  if (!originals) {
    const saved: Partial<Record<Name, (...args: unknown[]) => unknown>> = {};
    const mod = cp as unknown as Record<Name, (...args: unknown[]) => unknown>;
    for (const name of NAMES) {
      const original = mod[name];
      saved[name] = original;
      const wrapper = function (this: unknown, ...args: unknown[]) {
        for (const l of listeners) l(describe(name, args));
        return original.apply(this, args);
      };
      // exec and execFile carry their own promisified form ({ stdout, stderr }): keep it, noted too.
      const custom = (original as unknown as Record<symbol, unknown>)[promisify.custom];
      if (typeof custom === 'function') {
        Object.defineProperty(wrapper, promisify.custom, {
          value: function (this: unknown, ...args: unknown[]) {
            for (const l of listeners) l(describe(name, args));
            return (custom as (...a: unknown[]) => unknown).apply(this, args);
          },
        });
      }
      mod[name] = wrapper;
    }
    originals = saved;
    unhookWorkers = hookWorkers(({ shown }) => {
      for (const l of listeners) l(shown);
    });
    syncBuiltinESMExports();
  }
  listeners.add(onChild);
  return () => {
    if (!listeners.delete(onChild) || listeners.size > 0 || !originals) return;
    const mod = cp as unknown as Record<Name, (...args: unknown[]) => unknown>;
    for (const name of NAMES) mod[name] = originals[name]!;
    originals = undefined;
    unhookWorkers?.();
    unhookWorkers = undefined;
    syncBuiltinESMExports();
  };
}
