import { FALLBACK, recognise, ROUTES, type RouteName } from '../trace/providers/registry.js';

/** The name of a default upstream: one per route in the provider registry. */
export type RoutedProvider = RouteName;
/** The providers the recorder can route to without `--upstream`, in registry order. */
export const ROUTED_PROVIDERS: readonly RoutedProvider[] = ROUTES.map((r) => r.name);

/** Where each provider's API lives when nothing overrides it. */
export const DEFAULT_PROVIDER_HOSTS = Object.fromEntries(ROUTES.map((r) => [r.name, r.origin])) as Readonly<Record<RoutedProvider, string>>;

export type ProviderRoutes = Record<RoutedProvider, URL>;

/** What the recorder tells a route function about one request. */
export interface RouteRequest {
  method: string;
  /** Path and query as the app sent them. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** The absolute URL the app addressed when it used the recorder as an HTTP(S) proxy. */
  destination?: URL;
}

const header = (headers: RouteRequest['headers'], name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * Which provider a request sent straight to the recorder is meant for, from its path, query and headers
 * (the registry's recognition); undefined when nothing identifies it. A protocol without a default host
 * (Bedrock, Cohere), or none, leaves it to the paths each route keeps open (`/v1/files` is OpenAI's).
 * @example providerForRequest('/v1/messages', { 'anthropic-version': '2023-06-01' }) // 'anthropic'
 */
export function providerForRequest(url: string, headers: RouteRequest['headers'] = {}): RoutedProvider | undefined {
  const [rawPath = '', query = ''] = url.split('?');
  const path = rawPath.replace(/\/+$/, '');
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) lower[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  const m = recognise({ path, query, headers: lower });
  if (m !== FALLBACK && m.route) return m.route.name;
  return ROUTES.find((r) => r.fallbackPath?.test(rawPath))?.name;
}

function sameOrigin(a: URL, b: URL): boolean {
  const port = (u: URL) => u.port || (u.protocol === 'https:' ? '443' : '80');
  const host = (u: URL) => (['localhost', '127.0.0.1', '[::1]'].includes(u.hostname) ? 'loopback' : u.hostname);
  return a.protocol === b.protocol && host(a) === host(b) && port(a) === port(b);
}

/** The provider whose default host a proxied request was addressed to, e.g. `https://api.openai.com/...`. */
export function providerForHost(destination: URL): RoutedProvider | undefined {
  return ROUTED_PROVIDERS.find((p) => sameOrigin(destination, new URL(DEFAULT_PROVIDER_HOSTS[p])));
}

/** Default hosts with the user's overrides applied. */
export function resolveRoutes(overrides: Partial<Record<RoutedProvider, string | URL>> = {}): ProviderRoutes {
  const out = {} as ProviderRoutes;
  for (const p of ROUTED_PROVIDERS) out[p] = new URL((overrides[p] ?? DEFAULT_PROVIDER_HOSTS[p]).toString());
  return out;
}

export interface ProviderRouterOptions {
  /** Send everything here (`--upstream`); provider routing is then off. */
  upstream?: string | URL;
  /** Per-provider base URLs (`--openai URL` ...); the rest go to the real hosts. */
  overrides?: Partial<Record<RoutedProvider, string | URL>>;
  /**
   * Other hosts a proxied request (HTTP_PROXY, HTTPS_PROXY, a Host header) may be forwarded to
   * (`--allow-host HOST[:PORT]`; without a port, any port). Without `upstream`, a proxied request to
   * a host that is neither a provider's, an override's nor listed here is refused with a 403.
   */
  allowHosts?: string[];
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const hostKey = (hostname: string): string => {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return LOOPBACK_NAMES.has(h) ? 'loopback' : h.replace(/^\[|\]$/g, '');
};
const portOf = (u: URL): string => u.port || (u.protocol === 'https:' ? '443' : '80');

/**
 * Parse one `--allow-host` value: `HOST`, `HOST:PORT`, `[V6]:PORT` or a URL (its host and port).
 * @example parseAllowHost('gpu-box:8000') // { host: 'gpu-box', port: '8000' }
 */
export function parseAllowHost(value: string): { host: string; port?: string } | undefined {
  const v = value.trim();
  if (v === '') return undefined;
  let u: URL;
  try {
    u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `http://${v}`);
  } catch {
    return undefined;
  }
  if (u.pathname !== '/' || u.search || u.username || u.hash) return undefined;
  const explicit = /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? portOf(u) : u.port || undefined;
  return { host: u.hostname, ...(explicit ? { port: explicit } : {}) };
}

/**
 * The hosts a router without `upstream` may forward a proxied request to, as `HOST[:PORT]` entries:
 * every provider's default host, every override, and `allowHosts`. Undefined with `upstream`
 * (everything goes there, whatever the app addressed).
 */
export function allowedHostsOf(options: ProviderRouterOptions): string[] | undefined {
  if (options.upstream !== undefined) return undefined;
  const out: string[] = [];
  const add = (u: URL): void => void out.push(`${u.hostname}:${portOf(u)}`);
  for (const p of ROUTED_PROVIDERS) add(new URL(DEFAULT_PROVIDER_HOSTS[p]));
  for (const u of Object.values(options.overrides ?? {})) if (u !== undefined) add(new URL(u.toString()));
  out.push(...(options.allowHosts ?? []));
  return out;
}

/** Whether `url`'s host and port match one of `allowed` (`HOST` matches any port; localhost, 127.0.0.1 and [::1] are one host). */
export function hostAllowed(allowed: readonly string[], url: URL): boolean {
  const host = hostKey(url.hostname);
  const port = portOf(url);
  return allowed.some((entry) => {
    const a = parseAllowHost(entry);
    return a !== undefined && hostKey(a.host) === host && (a.port === undefined || a.port === port);
  });
}

/**
 * A `route` function for `startRecorder`: `--upstream` wins; a proxied request (HTTPS_PROXY) goes
 * where the app addressed it, or to the override for that provider's host; a direct request goes to
 * the provider its path and headers name. Undefined means no provider could be told.
 *
 * @example
 * const router = createProviderRouter({ overrides: { ollama: 'http://gpu-box:11434' } });
 * const rec = await startRecorder({ route: router.route, onTrace });
 */
export function createProviderRouter(options: ProviderRouterOptions = {}): { routes: ProviderRoutes; route: (req: RouteRequest) => URL | undefined } {
  const routeFn = providerRoute(options);
  // The recorder's proxy runs on its own thread, where a function cannot go: it rebuilds this router there from its options.
  const overrides: Record<string, string> = {};
  for (const [p, u] of Object.entries(options.overrides ?? {})) if (u !== undefined) overrides[p] = u.toString();
  const spec: ProvidersSpec = { kind: 'providers', upstream: options.upstream?.toString(), overrides, ...(options.allowHosts?.length ? { allowHosts: [...options.allowHosts] } : {}) };
  Object.defineProperty(routeFn.route, ROUTE_SPEC, { value: spec });
  return routeFn;
}

const ROUTE_SPEC = Symbol('traceforge.routeSpec');

/** createProviderRouter's options in a form that can cross to the proxy thread. */
export interface ProvidersSpec {
  kind: 'providers';
  upstream?: string;
  overrides: Record<string, string>;
  allowHosts?: string[];
}

/** The description of a route made by createProviderRouter, or undefined for any other function. */
export function routeSpecOf(route: unknown): ProvidersSpec | undefined {
  return typeof route === 'function' ? (route as unknown as Record<symbol, ProvidersSpec>)[ROUTE_SPEC] : undefined;
}

function providerRoute(options: ProviderRouterOptions): { routes: ProviderRoutes; route: (req: RouteRequest) => URL | undefined } {
  const routes = resolveRoutes(options.overrides);
  const fixed = options.upstream === undefined ? undefined : new URL(options.upstream.toString());
  const route = (req: RouteRequest): URL | undefined => {
    if (fixed) return fixed;
    if (req.destination) {
      const p = providerForHost(req.destination);
      return p ? routes[p] : new URL(req.destination.origin);
    }
    const p = providerForRequest(req.url, req.headers);
    return p ? routes[p] : undefined;
  };
  return { routes, route };
}
