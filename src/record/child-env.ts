import { baseUrlEnv } from '../trace/providers/registry.js';
import { statRegularFile } from '../util/regular-file.js';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

export interface ChildEnvOptions {
  /** The recorder's base URL, e.g. `http://127.0.0.1:41234`. */
  proxyUrl: string;
  /** PEM path of the interception CA when `--https-proxy` is on. */
  caCertPath?: string;
  /** The environment the command would otherwise get. */
  base?: NodeJS.ProcessEnv;
  /**
   * The cassette the recorder appends to (`--cassette`), passed on as an absolute TRACEFORGE_CASSETTE: a
   * `useCassette` of the same file inside the command then leaves the writing to the recorder, so each
   * call is in it once.
   */
  cassette?: string;
  /** `--mode` for that cassette, passed on as TRACEFORGE_CASSETTE_MODE: such a `useCassette` then records in it too (all: re-records instead of replaying). */
  cassetteMode?: string;
}

/**
 * The variables that point an unmodified app at the recorder: the base URL each official SDK reads,
 * as the protocol modules declare them (see trace/providers/registry.ts baseUrlEnv).
 * With HTTPS interception, the proxy variables catch apps that call the provider's https URL directly.
 */
export function proxyEnvVars(options: ChildEnvOptions): Record<string, string> {
  const url = options.proxyUrl.replace(/\/+$/, '');
  const vars: Record<string, string> = { ...baseUrlEnv(url), TRACEFORGE_PROXY_URL: url };
  if (options.cassette) vars.TRACEFORGE_CASSETTE = resolve(options.cassette);
  if (options.cassette && options.cassetteMode) vars.TRACEFORGE_CASSETTE_MODE = options.cassetteMode;
  if (options.caCertPath) {
    for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) vars[name] = url;
    vars.NODE_EXTRA_CA_CERTS = options.caCertPath;
    // Node >= 22.21 / 24.5 only sends fetch and http through HTTPS_PROXY when this is set; older Node ignores it.
    vars.NODE_USE_ENV_PROXY = '1';
  }
  return vars;
}

/**
 * The command's full environment. An NODE_EXTRA_CA_CERTS the user already had (a corporate CA) is
 * kept: both certificates go into a bundle next to the CA, since Node reads only one such file.
 */
export async function buildChildEnv(options: ChildEnvOptions): Promise<NodeJS.ProcessEnv> {
  const base = options.base ?? process.env;
  const vars = proxyEnvVars(options);
  const previous = base.NODE_EXTRA_CA_CERTS;
  if (options.caCertPath && previous && previous !== options.caCertPath) {
    // A FIFO or device there would block the read for good: only a regular file is read, like an unreadable one is skipped.
    const theirs = await statRegularFile(previous, 'E_USAGE', '').then(() => readFile(previous, 'utf8')).catch(() => undefined);
    if (theirs !== undefined) {
      const bundle = join(dirname(options.caCertPath), 'bundle.pem');
      const ours = await readFile(options.caCertPath, 'utf8');
      await writeFile(bundle, `${theirs.trimEnd()}\n${ours}`);
      vars.NODE_EXTRA_CA_CERTS = bundle;
    }
  }
  return { ...base, ...vars };
}
