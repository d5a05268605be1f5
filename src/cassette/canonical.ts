/**
 * Canonical JSON for matching: object keys sorted at every depth, so two requests that differ
 * only in key order compare equal. Ignored fields are dropped by dotted path (`metadata.user`)
 * or by bare name at any depth (`user`).
 */
export function canonicalize(value: unknown, ignore: readonly string[] = [], path = ''): unknown {
  // Nothing ignored (the usual case): no paths to build, which made indexing a 1,000-call cassette spend a quarter of its time here.
  if (ignore.length === 0) return sortKeys(value);
  if (Array.isArray(value)) return value.map((v, i) => canonicalize(v, ignore, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as Record<string, unknown>).sort()) {
      const child = path ? `${path}.${key}` : key;
      if (ignore.includes(key) || ignore.includes(child)) continue;
      out[key] = canonicalize((value as Record<string, unknown>)[key], ignore, child);
    }
    return out;
  }
  return value;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as Record<string, unknown>).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** Paths where two JSON values differ, depth-first, at most `limit`. */
export function diffPaths(a: unknown, b: unknown, limit = 5, path = 'body'): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, p: string) => {
    if (out.length >= limit) return;
    if (x === y) return;
    const xo = x && typeof x === 'object';
    const yo = y && typeof y === 'object';
    if (!xo || !yo || Array.isArray(x) !== Array.isArray(y)) {
      if (JSON.stringify(x) !== JSON.stringify(y)) out.push(p);
      return;
    }
    if (Array.isArray(x) && Array.isArray(y)) {
      for (let i = 0; i < Math.max(x.length, y.length); i++) walk(x[i], y[i], `${p}[${i}]`);
      return;
    }
    const keys = new Set([...Object.keys(x as object), ...Object.keys(y as object)]);
    for (const k of [...keys].sort()) walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${p}.${k}`);
  };
  walk(a, b, path);
  return out;
}

/** Look up a dotted/bracket path produced by diffPaths (without the leading `body`). */
export function getPath(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[m[2] !== undefined ? Number(m[2]) : m[1]!];
  }
  return cur;
}
