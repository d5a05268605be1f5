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

type Fallback = ReturnType<typeof forwardTo>;
let forwardReady!: (f: Fallback) => void;
const later = new Promise<Fallback>((resolve) => (forwardReady = resolve));
const fallback: Fallback | undefined = config.forwardTo
  ? forwardTo(config.forwardTo)
  : config.forwardLater
    ? (req, res, body) => void later.then((f) => f(req, res, body))
    : undefined;

type UpgradeFallback = ReturnType<typeof forwardUpgradeTo>;
let upgradeReady!: (f: UpgradeFallback) => void;
const upgradeLater = new Promise<UpgradeFallback>((resolve) => (upgradeReady = resolve));
const upgradeFallback: UpgradeFallback | undefined = config.upgradeForwardTo
  ? forwardUpgradeTo(config.upgradeForwardTo)
  : config.forwardLater
    ? (req, socket, head) => void upgradeLater.then((f) => f(req, socket, head))
    : undefined;

try {
  const server = await serveReplay(
    {
      cassette: config.cassette,
      speed: config.speed,
      match: config.match,
      faults: config.faults,
      port: config.port,
      host: config.host,
      fallback,
      upgradeFallback,
      websocket: config.volatileFields ? { volatileFields: config.volatileFields } : undefined,
      // Posted before the 404 is written: by the time the client has it, the test's thread can read the miss.
      onMiss: (miss: MissExplanation) => misses.postMessage(miss),
    },
    createLateness(lateness),
  );
  port.on('message', (cmd: ReplayThreadCommand) => {
    if (cmd.t === 'forward') forwardReady(forwardTo(cmd.url));
    if (cmd.t === 'forward-upgrade') upgradeReady(forwardUpgradeTo(cmd.url));
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
