/**
 * Which outgoing calls the in-test interception serves from a cassette: the providers' API hosts
 * and the hosts a user lists. Pure: no network, no process.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { INTERCEPT_HOSTS } from '../trace/providers/registry.js';

/** The providers' API hosts (each protocol module's `hosts`), served from the cassette while a cassette is in use (any port unless one is given). */
export const DEFAULT_INTERCEPT_HOSTS: readonly string[] = INTERCEPT_HOSTS;

export interface HostRule {
  /** Lower-case host name; `*` stands for one or more labels' characters (no dots). */
  pattern: RegExp;
  /** Undefined: any port. */
  port?: string;
  /** As the user wrote it, for messages. */
  text: string;
}

const defaultPort = (protocol: string): string => (protocol === 'https:' ? '443' : '80');

/**
 * Parse `HOST`, `HOST:PORT`, `[V6]:PORT`, `*.example.com` or a URL into a rule.
 * @example parseHostRule('llm.internal:8080') // matches http(s)://llm.internal:8080 only
 */
export function parseHostRule(text: string): HostRule {
  const t = text.trim().toLowerCase();
  let host = t;
  let port: string | undefined;
  const url = /^[a-z][a-z0-9+.-]*:\/\//.test(t) ? new URL(t.replace(/\*/g, 'wildcard-x')) : undefined;
  if (url) {
    host = url.hostname.replace(/wildcard-x/g, '*');
    port = url.port || defaultPort(url.protocol);
  } else {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(t);
    if (!m) throw new Error(`intercept host "${text}" is not HOST, HOST:PORT or a URL`);
    host = m[1]!;
    port = m[2];
  }
  host = host.replace(/^\[|\]$/g, '');
  const source = host.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^.]+');
  return { pattern: new RegExp(`^${source}$`), ...(port ? { port } : {}), text };
}

/** The rule `url` matches, or undefined. */
export function matchHost(rules: readonly HostRule[], url: URL): HostRule | undefined {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  const port = url.port || defaultPort(url.protocol);
  return rules.find((r) => r.pattern.test(host) && (r.port === undefined || r.port === port));
}

/**
 * The test's own servers, never blocked: the name `localhost`, and addresses in 127.0.0.0/8, ::1 and
 * ::ffff:127.0.0.0/104, decided on the address the URL parser normalised (it turns 2130706433, 0x7f.1 and
 * [0:0:0:0:0:0:0:1] into 127.0.0.1 and [::1]), never on how a name starts: 127.evil.test and
 * 127.0.0.1.nip.io are names, which DNS may send anywhere.
 */
export function isLoopback(url: URL): boolean {
  const h = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  if (!isIPv6(h)) return false;
  return h === '::1' || /^::ffff:127\./.test(h) || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(h);
}

/** The header that carries the origin the app addressed from the interception to the recorder. Never recorded or sent on. */
export const ORIGIN_HEADER = 'x-traceforge-origin';

/**
 * Set on a call the in-process virtual replay found no recording for, in a mode that records: the replay
 * server sends it straight on to the recorder instead of matching it again (its own matcher has not seen
 * what the in-process one served). Never recorded or sent on.
 */
export const FORWARD_HEADER = 'x-traceforge-record';

/** `host[:port]` as a user would list it, for messages. */
export function hostOf(url: URL): string {
  return url.port ? `${url.hostname}:${url.port}` : url.hostname;
}
