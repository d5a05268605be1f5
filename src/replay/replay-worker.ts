import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { MissExplanation } from '../cassette/match.js';
import { forwardTo, forwardUpgradeTo } from './forward.js';
import { createLateness } from './lateness.js';
import type { ReplayThreadCommand, ReplayThreadConfig, ReplayThreadEvent } from './replay-messages.js';
import { serveReplay } from './replay-server.js';

/**
 * The replay thread (see replay-thread.ts): serves a cassette on an event loop that nothing else
 * runs on, so a test busy on its own thread cannot make a replayed chunk late.
 */
const port = parentPort!;
const { config, misses, lateness } = workerData as { config: ReplayThreadConfig; misses: MessagePort; lateness: SharedArrayBuffer };
const post = (event: ReplayThreadEvent): void => port.postMessage(event);

/**
 * A handler that forwards to a server: at once when its URL is known at start, else (`later`: the recorder
 * is still starting) once a command brings the URL, the calls that came before it waiting for it.
 */
function forwarder<A extends unknown[]>(url: string | undefined, later: boolean, make: (url: string) => (...a: A) => void) {
  let ready!: (f: (...a: A) => void) => void;
  const known = new Promise<(...a: A) => void>((resolve) => (ready = resolve));
  const handle = url ? make(url) : later ? (...a: A) => void known.then((f) => f(...a)) : undefined;
  return { handle, arrived: (u: string) => ready(make(u)) };
}

const requests = forwarder(config.forwardTo, config.forwardLater === true, forwardTo);
const upgrades = forwarder(config.upgradeForwardTo, config.forwardLater === true, forwardUpgradeTo);

try {
  const server = await serveReplay(
    {
      cassette: config.cassette,
      speed: config.speed,
      match: config.match,
      faults: config.faults,
      port: config.port,
      host: config.host,
      fallback: requests.handle,
      upgradeFallback: upgrades.handle,
      websocket: config.volatileFields ? { volatileFields: config.volatileFields } : undefined,
      // Posted before the 404 is written: by the time the client has it, the test's thread can read the miss.
      onMiss: (miss: MissExplanation) => misses.postMessage(miss),
    },
    createLateness(lateness),
  );
  port.on('message', (cmd: ReplayThreadCommand) => {
    if (cmd.t === 'forward') requests.arrived(cmd.url);
    if (cmd.t === 'forward-upgrade') upgrades.arrived(cmd.url);
    if (cmd.t !== 'close') return;
    void server.close().then(() => {
      misses.close();
      post({ t: 'closed' });
      port.close();
    });
  });
  post({ t: 'ready', url: server.url, port: server.port, warnings: [...server.warnings] });
} catch (e) {
  const code = (e as { code?: unknown }).code;
  post({ t: 'failed', code: typeof code === 'string' ? code : undefined, message: e instanceof Error ? e.message : String(e) });
  misses.close();
  port.close();
}
