import { createRequire } from 'node:module';

/**
 * Packages mockttp requires when it loads but uses only for features the recorder may never touch:
 * certificate generation (--https-proxy, loaded at start when used), upstream proxies (HTTP, SOCKS, PAC),
 * multipart matching and error-message templates. Each is required on first use instead: about 200 ms of
 * CPU off every recording session's start. Each is only ever read as `module.member` when it is used,
 * never at mockttp's load (checked against mockttp 4.6.3, see mockttp-adapter.ts).
 */
const LAZY = new Set([
  '@peculiar/x509',
  '@peculiar/asn1-x509',
  '@peculiar/asn1-schema',
  'pac-proxy-agent',
  'socks-proxy-agent',
  'https-proxy-agent',
  'parse-multipart-data',
  'common-tags',
]);
const MOCKTTP_FILE = /[\\/]node_modules[\\/]mockttp[\\/]dist[\\/]/;

type Load = (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;
const Module = createRequire(import.meta.url)('node:module') as { _load?: Load };
const load = Module._load;
// Node's CommonJS loader entry: if a Node version moved it, mockttp loads as it is, only slower.
if (typeof load === 'function' && !(load as { lazyMockttp?: true }).lazyMockttp) {
  const lazyLoad: Load = function (this: unknown, request, parent, isMain) {
    if (!LAZY.has(request) || !MOCKTTP_FILE.test(parent?.filename ?? '')) return load.call(this, request, parent, isMain);
    let real: object | undefined;
    const get = (): object => (real ??= load.call(this, request, parent, isMain) as object);
    return new Proxy(
      {},
      {
        get: (_, key) => Reflect.get(get(), key),
        has: (_, key) => Reflect.has(get(), key),
        ownKeys: () => Reflect.ownKeys(get()),
        getOwnPropertyDescriptor: (_, key) => {
          const d = Reflect.getOwnPropertyDescriptor(get(), key);
          return d && { ...d, configurable: true };
        },
      },
    );
  };
  Module._load = Object.assign(lazyLoad, { lazyMockttp: true as const });
}
