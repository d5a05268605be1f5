/**
 * A local listener standing in for the network (a provider's host, a proxy, any other host): it counts
 * the connections that reach it and closes them. A call that escaped the interception would be counted.
 */
import net from 'node:net';
import { afterAll, beforeAll } from 'vitest';

export interface StandIn {
  readonly port: number;
  readonly connections: number;
  /** An undici connector that opens every socket to the stand-in, whatever host a call names. */
  connect(_opts: unknown, cb: (err: Error | null, socket: net.Socket | null) => void): void;
}

/** Start one for the test file (beforeAll) and close it after (afterAll). */
export function useStandIn(): StandIn {
  let server: net.Server;
  const state = {
    port: 0,
    connections: 0,
    connect(_opts: unknown, cb: (err: Error | null, socket: net.Socket | null) => void) {
      const s = net.connect(state.port, '127.0.0.1');
      s.once('connect', () => cb(null, s)).once('error', (e) => cb(e, null));
    },
  };
  beforeAll(async () => {
    server = net.createServer((s) => {
      state.connections++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    state.port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  return state;
}
