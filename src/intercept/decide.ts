/**
 * What happens to one outgoing call while a cassette is in use: served from it, refused (under CI, a host
 * it does not serve), or let through. Shared by every way out of the process (the global fetch, dispatchers
 * an app passes, node:http/https/http2) and by the seal of a worker thread the app starts.
 */
import type { FetchDecision } from './fetch-dispatcher.js';
import { FORWARD_HEADER, hostOf, isLoopback, matchHost, ORIGIN_HEADER, type HostRule } from './hosts.js';
import type { VirtualReplay } from '../virtual/virtual-replay.js';

/** One open session's interception. */
export interface Entry {
  target: URL;
  /** Answer served calls in-process on the virtual clock, instead of at `target`. */
  virtual?: VirtualReplay;
  rules: HostRule[];
  unmatched: 'pass' | 'error';
  blocked: string[];
}

export function decideFor(top: Entry | undefined, url: URL): FetchDecision {
  if (!top) return { kind: 'pass' };
  const virtual = top.virtual;
  // Under a virtual clock the session's own URL is answered in-process too: a socket would run on the wall clock.
  // A served call the tape has no recording of is sent on to the session's server marked for the recorder.
  if (url.origin === top.target.origin) return virtual ? { kind: 'serve', replay: virtual, origin: top.target.origin, headers: { [FORWARD_HEADER]: '1' } } : { kind: 'pass' };
  const passing: FetchDecision = virtual ? { kind: 'pass', leaving: () => virtual.leaving(url, 'unserved') } : { kind: 'pass' };
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return passing;
  if (matchHost(top.rules, url)) {
    const headers = { [ORIGIN_HEADER]: url.origin };
    return virtual ? { kind: 'serve', replay: virtual, origin: top.target.origin, headers: { ...headers, [FORWARD_HEADER]: '1' } } : { kind: 'redirect', origin: top.target.origin, headers };
  }
  if (top.unmatched === 'pass' || isLoopback(url)) return passing;
  const host = hostOf(url);
  const message =
    `traceforge: blocked a call to ${url.origin}${url.pathname}: ${host} is not one of the hosts served from the cassette, and calls to other hosts are refused ` +
    `(CI is set, or intercept.unmatched is "error"). To serve it from the cassette: useCassette(path, { intercept: { hosts: ['${host}'] } }); ` +
    `to let it through to the network: { intercept: { unmatched: 'pass' } }.`;
  top.blocked.push(message);
  return { kind: 'error', error: new Error(message) };
}

