import type { Socket } from 'node:net';

/**
 * mockttp calls a request a passthrough loop when the client's address and port equal the local
 * address and port of one of its own open upstream connections. On loopback that is not a loop: the
 * kernel gives the same ephemeral port to connections with different destinations, so under load (a
 * few hundred streams through one recorder) an app's connection can share a port number with the
 * recorder's connection to the upstream, and mockttp failed it with a 500 (14 of 200 streams in one
 * benchmark run). The recorder catches real loops itself, by URL (see `isSelf` in recorder.ts), so here the
 * sockets mockttp tracks stay in the set but are hidden from that check, which iterates the set.
 */
class UntrackedForLoops extends Set<Socket> {
  override [Symbol.iterator](): ReturnType<Set<Socket>['values']> {
    return new Set<Socket>().values();
  }
}

interface RuleSets {
  requestRuleSets?: Record<string, Array<{ steps?: Array<{ outgoingSockets?: Set<Socket> }> }>>;
}

/** Apply to a started-or-configured mockttp server after its passthrough rule was added; returns how many steps changed. */
export function disablePortLoopCheck(server: unknown): number {
  let changed = 0;
  for (const rules of Object.values((server as RuleSets).requestRuleSets ?? {})) {
    for (const rule of rules) {
      for (const step of rule.steps ?? []) {
        if (step.outgoingSockets instanceof Set && !(step.outgoingSockets instanceof UntrackedForLoops)) {
          step.outgoingSockets = new UntrackedForLoops(step.outgoingSockets);
          changed++;
        }
      }
    }
  }
  return changed;
}
