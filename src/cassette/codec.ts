import { LineCounter, parseDocument, stringify, isMap, isSeq, type Node } from 'yaml';
import { TraceForgeError } from '../errors.js';
import { findTraceProblems } from '../trace/validate.js';
import type { Trace } from '../trace/types.js';

export const CASSETTE_VERSION = 1;

/** An ordered list of recorded interactions; each entry has exactly the shape of a trace file. */
export interface Cassette {
  version: number;
  interactions: Trace[];
}

const HEADER =
  '# TraceForge cassette: recorded LLM calls, replayed byte- and timing-exact.\n' +
  '# Each interaction has the same shape as a trace file. Re-record rather than hand-edit `raw`.\n';

/** Cap on input size and on YAML alias expansion, so a hostile file cannot exhaust memory. */
const MAX_ALIASES = 0;

export function stringifyCassette(cassette: Cassette): string {
  // lineWidth 0: never fold long lines, so a raw SSE frame stays one diffable line.
  return HEADER + stringify({ version: cassette.version, interactions: cassette.interactions }, { lineWidth: 0, aliasDuplicateObjects: false });
}

export function emptyCassette(): Cassette {
  return { version: CASSETTE_VERSION, interactions: [] };
}

/**
 * Parse and validate a cassette. Every problem is reported as `file:line: what is wrong`,
 * with the line of the offending field, so it can be fixed in an editor.
 */
export function parseCassette(text: string, source: string): Cassette {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lineCounter.linePos(offset).line);
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    throw new TraceForgeError('E_CASSETTE_INVALID', `${source}:${lineOf(err.pos[0])}: invalid YAML: ${err.message.split('\n')[0]}`, { cause: err });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    throw new TraceForgeError('E_CASSETTE_INVALID', `${source}:1: cassette cannot be read: ${(e as Error).message} (YAML aliases are not allowed in cassettes)`, { cause: e });
  }
  const fail = (path: Array<string | number>, problem: string): never => {
    const node = path.length === 0 ? doc.contents : (doc.getIn(path, true) as Node | undefined);
    const parentNode = node ?? (doc.getIn(path.slice(0, -1), true) as Node | undefined);
    const line = lineOf(parentNode?.range?.[0]);
    throw new TraceForgeError('E_CASSETTE_INVALID', `${source}:${line}: ${problem}`);
  };
  if (value === null || value === undefined) fail([], 'the cassette is empty: expected `version: 1` and `interactions:` (record one with `traceforge record --cassette`)');
  if (!isMap(doc.contents)) fail([], 'a cassette must be a mapping with `version` and `interactions`');
  const obj = value as Record<string, unknown>;
  if (obj.version !== CASSETTE_VERSION) {
    fail(['version'], `version is ${JSON.stringify(obj.version)}; this TraceForge reads cassette version ${CASSETTE_VERSION} (re-record it)`);
  }
  if (!Array.isArray(obj.interactions) || !isSeq(doc.get('interactions', true))) {
    if (obj.interactions === null || obj.interactions === undefined) return { version: CASSETTE_VERSION, interactions: [] };
    fail(['interactions'], '`interactions` must be a list');
  }
  const interactions = obj.interactions as unknown[];
  interactions.forEach((entry, i) => {
    const problems = findTraceProblems(entry, `interactions[${i}]`);
    if (problems.length > 0) {
      const first = problems[0]!;
      fail(toPath(first.path), `${first.path} ${first.problem}${problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : ''}`);
    }
  });
  return { version: CASSETTE_VERSION, interactions: interactions as Trace[] };
}

/** `interactions[3].http.body[2].raw` -> ['interactions', 3, 'http', 'body', 2, 'raw'] */
function toPath(p: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const m of p.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}
