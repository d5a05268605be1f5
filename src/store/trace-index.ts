import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { readTraceRow } from './trace-header.js';
import type { TraceRow } from './trace-row.js';
import { idFromFileName } from './trace-store.js';

/** The listing cache inside the trace directory; its leading dot keeps it out of `files()`. */
export const INDEX_FILE = '.index.json';
// Bump when TraceRow changes so old caches are ignored rather than misread.
const INDEX_VERSION = 4;

interface IndexEntry {
  size: number;
  mtimeMs: number;
  row: TraceRow;
}
interface IndexFile {
  version: number;
  entries: Record<string, IndexEntry>;
}

export interface ListProblem {
  file: string;
  message: string;
}
export interface TraceListing {
  /** Newest first. */
  rows: TraceRow[];
  /** Files that look like traces but could not be read. */
  problems: ListProblem[];
  /** How many rows came from the index (the rest were read from their files). */
  cached: number;
}

function readIndex(path: string): Record<string, IndexEntry> {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as IndexFile;
    return parsed.version === INDEX_VERSION && typeof parsed.entries === 'object' && parsed.entries ? parsed.entries : {};
  } catch {
    return {}; // missing or corrupt: it is only a cache
  }
}

/**
 * List the traces in `dir`, newest first, without parsing them: rows come from the index when the
 * file's name, size and mtime still match, otherwise from a header read of the file. Files added,
 * changed or removed behind the index's back are therefore picked up; the index is rewritten when it
 * was stale (best effort: a read-only directory still lists).
 * @example
 * const { rows } = await listTraces('.ai-tests/traces');
 */
export async function listTraces(dir: string, opts: { writeIndex?: boolean; wholeLimitBytes?: number } = {}): Promise<TraceListing> {
  const root = resolve(dir);
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => idFromFileName(n) !== null);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { rows: [], problems: [], cached: 0 };
    throw e;
  }
  const indexPath = join(root, INDEX_FILE);
  const old = readIndex(indexPath);
  const entries: Record<string, IndexEntry> = {};
  const problems: ListProblem[] = [];
  let cached = 0;
  let dirty = Object.keys(old).length !== names.length;
  // Synchronous on purpose: 10,000 stats from the page cache take a third of the time the promise API does.
  for (const file of names) {
    const path = join(root, file);
    try {
      const st = statSync(path);
      if (!st.isFile()) continue;
      const hit = old[file];
      if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) {
        entries[file] = hit;
        cached++;
        continue;
      }
      dirty = true;
      entries[file] = { size: st.size, mtimeMs: st.mtimeMs, row: readTraceRow(path, file, st.size, opts.wholeLimitBytes) };
    } catch (e) {
      // Vanished between readdir and stat: it was removed, which is not a problem.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      problems.push({ file, message: e instanceof Error ? e.message : String(e) });
    }
  }
  if (dirty && opts.writeIndex !== false) {
    const body: IndexFile = { version: INDEX_VERSION, entries };
    await writeFileAtomic(indexPath, JSON.stringify(body)).catch(() => {});
  }
  const rows = Object.values(entries).map((e) => e.row);
  rows.sort((a, b) => (a.timestamp === b.timestamp ? cmp(b.file, a.file) : cmp(b.timestamp, a.timestamp)));
  problems.sort((a, b) => cmp(a.file, b.file));
  return { rows, problems, cached };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The shortest prefix length (at least `min`) that tells every id apart, so the table can show short ids
 * that still work as `trace view` arguments.
 */
export function uniquePrefixLength(ids: readonly string[], min = 8): number {
  const sorted = [...new Set(ids)].sort();
  let len = min;
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    let common = 0;
    while (common < a.length && common < b.length && a[common] === b[common]) common++;
    len = Math.max(len, common + 1);
  }
  return len;
}
