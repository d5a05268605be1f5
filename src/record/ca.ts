import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { TraceForgeError } from '../errors.js';

/** Where `record --https-proxy` keeps its CA, relative to the working directory. */
export const DEFAULT_CA_DIR = '.ai-tests/ca';

/** A local certificate authority for HTTPS interception. */
export interface LocalCA {
  /** PEM certificate: what apps must trust (NODE_EXTRA_CA_CERTS points here). */
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
  /** True when this call generated it, false when an existing one was reused. */
  created: boolean;
}

const CERT = 'ca.pem';
const KEY = 'ca.key';

async function readCA(dir: string): Promise<LocalCA | undefined> {
  const certPath = join(dir, CERT);
  const keyPath = join(dir, KEY);
  let cert: string;
  let key: string;
  try {
    [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  // A key others can read lets them intercept every HTTPS call that trusts this CA: refuse it rather than reuse it.
  const mode = (await stat(keyPath)).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new TraceForgeError(
      'E_PATH',
      `the CA key ${keyPath} can be read by other users (mode ${mode.toString(8).padStart(3, '0')}): run \`chmod 600 ${keyPath}\`, or delete ${dir} and a new CA will be made`,
    );
  }
  let validTo: number;
  try {
    validTo = Date.parse(new X509Certificate(cert).validTo);
  } catch (e) {
    throw new TraceForgeError('E_PATH', `the CA certificate ${certPath} cannot be read as PEM: delete ${dir} and a new CA will be made`, { cause: e });
  }
  // An expired CA would make every intercepted call fail TLS; treat it as absent so a fresh one replaces it.
  if (validTo < Date.now() + 24 * 3600_000) return undefined;
  return { certPath, keyPath, cert, key, created: false };
}

/**
 * Reuse the CA in `dir`, or generate one there. The directory is created whole by a rename, so two
 * recorders starting at once end up sharing one CA, and it carries a `.gitignore` so the private key
 * is never committed. The key is readable by the owner only.
 *
 * @example
 * const ca = await ensureCA('.ai-tests/ca');
 * const rec = await startRecorder({ https: { keyPath: ca.keyPath, certPath: ca.certPath }, route });
 * // child env: HTTPS_PROXY=rec.url NODE_EXTRA_CA_CERTS=ca.certPath
 */
export async function ensureCA(dir: string = DEFAULT_CA_DIR): Promise<LocalCA> {
  const abs = resolve(dir);
  const existing = await readCA(abs);
  if (existing) return existing;
  // Loaded only to make a CA: mockttp's main module costs `traceforge record` about half a second at start.
  const { generateCACertificate } = await import('mockttp/dist/util/certificates');
  const { cert, key } = await generateCACertificate({
    subject: { commonName: 'TraceForge local recording CA - DO NOT SHARE', organizationName: 'TraceForge' },
  });
  await mkdir(dirname(abs), { recursive: true });
  const tmp = await mkdtemp(join(dirname(abs), '.ca-'));
  try {
    await writeFile(join(tmp, KEY), key, { mode: 0o600 });
    await writeFile(join(tmp, CERT), cert, { mode: 0o644 });
    await writeFile(join(tmp, '.gitignore'), '# TraceForge HTTPS interception CA: the key must never be committed.\n*\n');
    await chmod(tmp, 0o700);
    // Replace an expired or half-deleted CA; a fresh directory that another recorder just made is kept.
    const stale = await readFile(join(abs, CERT), 'utf8').then(() => true, () => false);
    if (stale && !(await readCA(abs))) await rm(abs, { recursive: true, force: true });
    await rename(tmp, abs);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') {
      const winner = await readCA(abs);
      if (winner) return winner;
      throw new TraceForgeError('E_PATH', `${abs} exists but holds no usable CA (${CERT} and ${KEY}): delete it and a new CA will be made`, { cause: e });
    }
    throw e;
  }
  return { certPath: join(abs, CERT), keyPath: join(abs, KEY), cert, key, created: true };
}
