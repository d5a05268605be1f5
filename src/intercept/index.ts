/**
 * In-process interception for tests: while a cassette is in use, the process's own calls to the
 * providers' hosts (and hosts the user lists) go to the cassette's local server, by the global fetch
 * and by node:http/node:https alike, with no base-URL change in the app.
 *
 * Several sessions may be open at once (a setup file's and a test file's): the last one opened serves
 * the calls; the hooks are installed while at least one is open and removed with the last.
 */
import { installFetchInterception, type FetchDecision, type FetchInterception } from './fetch-dispatcher.js';
import { decideFor, type Entry } from './decide.js';
import { DEFAULT_INTERCEPT_HOSTS, parseHostRule } from './hosts.js';
import { installHttp2Guard, type Http2Guard } from './http2-guard.js';
import { installNodeHttpInterception, type NodeHttpInterception } from './node-http.js';
import { prepareWsUpgradeInterception, type WsUpgradeInterception } from './ws-upgrade.js';
import { installUndiciClientInterception, type UndiciClientInterception } from './undici-clients.js';
import { sealedOptions } from './worker-seal.js';
import { hookWorkers } from '../util/worker-hook.js';
import type { VirtualReplay } from '../virtual/virtual-replay.js';

export { DEFAULT_INTERCEPT_HOSTS, ORIGIN_HEADER } from './hosts.js';

export interface InterceptOptions {
  /**
   * More hosts to serve from the cassette, on top of the providers' (`HOST` any port, `HOST:PORT`,
   * `*.example.com`, or a URL), e.g. `['llm.internal:8080']`.
   */
  hosts?: string[];
  /**
   * A call to any other host: `'pass'` lets it go out, `'error'` fails it (and the test) naming the
   * host. Default `'error'` when `CI` is set, else `'pass'`. Loopback (localhost, 127.x, ::1) always passes.
   */
  unmatched?: 'pass' | 'error';
}

export interface Interception {
  /** One line per call that was refused as unmatched (unmatched: 'error'). */
  readonly blocked: string[];
  stop(): void;
}

const stack: Entry[] = [];
let hooks: { fetch: FetchInterception; http: NodeHttpInterception; ws: WsUpgradeInterception; http2: Http2Guard; clients: UndiciClientInterception; workers: () => void } | undefined;
let installing: Promise<void> | undefined;

const ciSet = (env: NodeJS.ProcessEnv): boolean => {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
};

const decide = (url: URL): FetchDecision => decideFor(stack[stack.length - 1], url);

/**
 * Send calls to the providers' hosts (and `options.hosts`) to `target`, a local server, until `stop()`.
 * The origin the app addressed travels in the `x-traceforge-origin` header, which the replay server
 * strips (it only uses it to tell the recorder where a call it cannot answer was going).
 */
export async function startInterception(target: string, options: InterceptOptions = {}, env: NodeJS.ProcessEnv = process.env, virtual?: VirtualReplay): Promise<Interception> {
  const rules = [...DEFAULT_INTERCEPT_HOSTS, ...(options.hosts ?? [])].map(parseHostRule);
  const entry: Entry = { target: new URL(target), rules, unmatched: options.unmatched ?? (ciSet(env) ? 'error' : 'pass'), blocked: [], ...(virtual ? { virtual } : {}) };
  stack.push(entry);
  try {
    while (installing) await installing;
    if (!hooks) {
      installing = (async () => {
        const fetch = await installFetchInterception(decide);
        const undo: Array<{ restore(): void }> = [fetch];
        try {
          // Taken before the node:http interceptor replaces `request`: upgrades are opened with the original.
          const ws = prepareWsUpgradeInterception(decide);
          const http = installNodeHttpInterception(await import('undici'), decide);
          undo.push(http);
          ws.apply();
          undo.push(ws);
          const clients = await installUndiciClientInterception(decide);
          undo.push(clients);
          const workers = hookWorkers((start) => {
            const top = stack[stack.length - 1];
            return top ? sealedOptions(start, { target: top.target.origin, hosts: top.rules.map((r) => r.text), unmatched: top.unmatched }) : undefined;
          });
          hooks = { fetch, http, ws, clients, workers, http2: installHttp2Guard(decide) };
        } catch (e) {
          for (const u of undo.reverse()) u.restore();
          throw e;
        }
      })();
      try {
        await installing;
      } finally {
        installing = undefined;
      }
    }
  } catch (e) {
    stack.splice(stack.indexOf(entry), 1);
    throw e;
  }
  let stopped = false;
  return {
    blocked: entry.blocked,
    stop() {
      if (stopped) return;
      stopped = true;
      const i = stack.indexOf(entry);
      if (i >= 0) stack.splice(i, 1);
      if (stack.length === 0 && hooks) {
        hooks.workers();
        hooks.http2.restore();
        hooks.clients.restore();
        hooks.ws.restore();
        hooks.http.restore();
        hooks.fetch.restore();
        hooks = undefined;
      }
    },
  };
}
