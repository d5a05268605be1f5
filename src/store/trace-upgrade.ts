/** `traceforge trace upgrade`: rewrite first-TraceForge traces (schema "1.0.0") in the current schema, on request only. */
import { access, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TraceForgeError } from '../errors.js';
import { stringifyTrace } from '../trace/codec.js';
import { convertLegacyTrace, isLegacyTrace } from '../trace/legacy.js';
import { TRACE_SCHEMA_VERSION } from '../trace/types.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { shortText } from '../util/one-line.js';
import { irregularKind } from '../util/regular-file.js';

export interface UpgradeOptions {
  /** Say what would be done, write nothing. */
  dryRun?: boolean;
  /** Keep the original as `<file>.bak` before replacing it (default true). */
  backup?: boolean;
}

export interface UpgradeResult {
  /** The path as given or found in the directory. */
  file: string;
  status: 'upgraded' | 'would-upgrade' | 'current' | 'failed';
  /** One line: what was done, or why not. */
  message: string;
  /** Where the original was kept. */
  backup?: string;
}

export const BACKUP_SUFFIX = '.bak';

const exists = (p: string) => access(p).then(() => true, () => false);

/** The trace files a path names: the file itself, or every `*.json` (not dot-files) directly in a directory. */
async function targets(path: string): Promise<string[]> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TraceForgeError('E_PATH', `${shortText(path)}: ${code === 'ENOENT' ? 'no such file or directory' : `cannot be read (${code ?? String(e)})`}; pass a trace file or a directory such as .ai-tests/traces`, { cause: e });
  }
  if (!st.isDirectory()) return [path];
  const names = (await readdir(path)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
  return names.map((n) => join(path, n));
}

async function upgradeOne(file: string, opts: UpgradeOptions): Promise<UpgradeResult> {
  const name = shortText(file);
  const fail = (message: string): UpgradeResult => ({ file, status: 'failed', message: shortText(message, 300) });
  let text: string;
  try {
    // Reading a FIFO named *.json would block for good.
    const kind = irregularKind(await stat(file));
    if (kind) return fail(`${name}: ${kind}, not a regular file; left alone`);
    text = await readFile(file, 'utf8');
  } catch (e) {
    return fail(`${name}: cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail(`${name}: not valid JSON; nothing was changed`);
  }
  if (typeof value === 'object' && value !== null && (value as { schema_version?: unknown }).schema_version === TRACE_SCHEMA_VERSION) {
    return { file, status: 'current', message: `${name}: already schema ${TRACE_SCHEMA_VERSION}, left as it is` };
  }
  if (!isLegacyTrace(value)) return fail(`${name}: not a schema 1.0.0 trace (schema_version is ${JSON.stringify((value as { schema_version?: unknown } | null)?.schema_version) ?? 'missing'}); nothing was changed`);
  const r = convertLegacyTrace(value, file);
  if (!r.ok) return fail(`${r.error}; nothing was changed`);
  const backup = opts.backup === false ? undefined : `${file}${BACKUP_SUFFIX}`;
  if (backup && (await exists(backup))) return fail(`${name}: ${shortText(backup)} already exists; move it away (or pass --no-backup) and run again; nothing was changed`);
  const what = `${r.trace.metadata.provider}, ${r.trace.metadata.stream ? `${r.trace.total_chunks} chunks` : 'not streamed'}, id ${r.trace.id}`;
  if (opts.dryRun) return { file, status: 'would-upgrade', message: `${name}: would upgrade schema ${r.trace.legacy?.schema_version} to ${TRACE_SCHEMA_VERSION} (${what})${backup ? `, keeping the original as ${shortText(backup)}` : ', without a backup'}` };
  // The copy is complete on disk before the original is replaced; each write is atomic (temp file, fsync, rename).
  if (backup) await writeFileAtomic(backup, text);
  await writeFileAtomic(file, stringifyTrace(r.trace));
  return { file, status: 'upgraded', message: `${name}: upgraded to schema ${TRACE_SCHEMA_VERSION} (${what})${backup ? `; original kept as ${shortText(backup)}` : ''}`, ...(backup ? { backup } : {}) };
}

/**
 * Rewrite first-TraceForge traces in the current schema, in place, each after an atomic copy of the
 * original to `<file>.bak` (unless `backup: false`). Files already current are left alone; a file
 * that cannot be read or converted is reported and left as it was.
 * @example
 * const results = await upgradeTraces('.ai-tests/traces', { dryRun: true });
 */
export async function upgradeTraces(path: string, opts: UpgradeOptions = {}): Promise<UpgradeResult[]> {
  const out: UpgradeResult[] = [];
  for (const file of await targets(path)) out.push(await upgradeOne(file, opts));
  return out;
}
