import { parentPort, workerData } from 'node:worker_threads';
import { TraceForgeError } from '../errors.js';
import { startProxy } from './proxy.js';
import type { ProxyCommand, ProxyConfig, ProxyEvent, ProxyStart } from './proxy-messages.js';
import { createProviderRouter } from './provider-routes.js';
import { muteMockttpNoise } from './mockttp-noise.js';
import { startWsRelay } from './ws-relay.js';
import { ORIGIN_HEADER } from '../intercept/hosts.js';

/**
 * The recorder's proxy thread: forwards and stamps, and hands everything else to the thread that
 * started it (see proxy-thread.ts). Nothing but forwarding runs on this event loop.
 */
const port = parentPort!;
// Started ahead (warmProxyThread), this thread has loaded mockttp by now and waits for what to start.
const config =
  (workerData as { warm?: true } | undefined)?.warm === true
    ? await new Promise<ProxyConfig>((resolve) => port.once('message', (m: ProxyStart) => resolve(m.config)))
    : (workerData as ProxyConfig);
const post = (event: ProxyEvent, transfer?: ArrayBuffer[]): void => port.postMessage(event, transfer ?? []);

muteMockttpNoise(config.debug === true);

const asked = new Map<number, (url: URL | undefined) => void>();
let seq = 0;
const spec = config.route;
const route =
  spec.kind === 'fixed'
    ? (() => {
        const fixed = new URL(spec.upstream);
        return () => fixed;
      })()
    : spec.kind === 'providers'
      ? createProviderRouter({ upstream: spec.upstream, overrides: spec.overrides, allowHosts: spec.allowHosts }).route
      : (req: { method: string; url: string; headers: Record<string, string | string[] | undefined>; destination?: URL }) =>
          new Promise<URL | undefined>((resolve) => {
            const n = ++seq;
            asked.set(n, resolve);
            post({ t: 'route', seq: n, method: req.method, url: req.url, headers: req.headers, destination: req.destination?.toString() });
          });

try {
  const relay = await startWsRelay({
    host: config.host,
    // An upgrade the in-test interception sent names the origin the app addressed, as an HTTP call does.
    route: async (req) => {
      const origin = req.headers[ORIGIN_HEADER];
      const destination = typeof origin === 'string' && /^https?:\/\/[^/]+$/.test(origin) ? new URL(req.url ?? '/', origin) : undefined;
      return (await route({ method: 'GET', url: req.url ?? '/', headers: req.headers, destination })) ?? undefined;
    },
    onSession: (session) => post({ t: 'ws-session', session }),
  });
  // Upgrades sent to the proxy itself (`traceforge record`, routing or HTTPS proxy mode) go to the same relay.
  const proxy = await startProxy(config, { emit: post, route, upgrade: (req, socket, head, upstream) => relay.handle(req, socket, head, upstream) });
  port.on('message', (cmd: ProxyCommand) => {
    if (cmd.t === 'routed') {
      asked.get(cmd.seq)?.(cmd.url === undefined ? undefined : new URL(cmd.url));
      asked.delete(cmd.seq);
    } else if (cmd.t === 'durable') proxy.durable(cmd.id);
    else if (cmd.t === 'cut') proxy.cut();
    else if (cmd.t === 'flush') void proxy.settled().then(() => post({ t: 'flushed', seq: cmd.seq }));
    else if (cmd.t === 'close') void Promise.all([proxy.close(cmd.graceMs), relay.close()]).then(() => post({ t: 'closed' }));
  });
  post({ t: 'ready', port: proxy.port, wsPort: relay.port });
} catch (e) {
  post({ t: 'failed', code: e instanceof TraceForgeError ? e.code : ((e as NodeJS.ErrnoException).code ?? 'E_RECORDER'), message: e instanceof Error ? e.message : String(e) });
}
