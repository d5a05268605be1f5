import { LineCounter, parseDocument, stringify, isAlias, isMap, isNode, isScalar, isSeq, visit, type Document, type Node } from 'yaml';
import { TraceForgeError } from '../errors.js';
import { findTraceProblems } from '../trace/validate.js';
import type { Trace } from '../trace/types.js';
import { shortText } from '../util/one-line.js';

export const CASSETTE_VERSION = 1;

/** An ordered list of recorded interactions; each entry has exactly the shape of a trace file. */
export interface Cassette {
  version: number;
  interactions: Trace[];
}

const HEADER =
  '# TraceForge cassette: recorded LLM calls, replayed byte- and timing-exact.\n' +
  '# Each interaction has the same shape as a trace file. Re-record rather than hand-edit `raw`.\n';

/** No YAML alias is ever expanded, so a hostile file cannot exhaust memory (billion laughs). */
const MAX_ALIASES = 0;

/**
 * A cassette is plain data written by TraceForge. YAML features it never writes are refused with the
 * line they are on, rather than half-supported: aliases and anchors (alias bombs), tags (`!!js/function`,
 * `!!binary`), merge keys (`<<`), non-scalar keys and YAML 1.1 documents (where `yes`, `0o12` and dates change type).
 */
function findUnsupported(doc: Document): { offset: number | undefined; problem: string } | undefined {
  const version = doc.directives?.yaml;
  if (version?.explicit && version.version !== '1.2') {
    return { offset: 0, problem: `%YAML ${version.version} documents are not supported: remove the %YAML line (cassettes are YAML 1.2)` };
  }
  let found: { offset: number | undefined; problem: string } | undefined;
  visit(doc, {
    Alias(_, node) {
      found = { offset: node.range?.[0], problem: `YAML alias *${shortText(node.source, 40)} is not allowed in cassettes (no alias expansion): write the value out in full` };
      return visit.BREAK;
    },
    Pair(_, pair) {
      const key = pair.key;
      if (isNode(key) && !isScalar(key) && !isAlias(key)) {
        found = { offset: key.range?.[0], problem: 'a mapping key must be a plain string, not a list or mapping' };
        return visit.BREAK;
      }
      const name = isScalar(key) ? key.value : key;
      if (name === '<<' || (typeof name === 'symbol' && name.description === '<<')) {
        found = { offset: isNode(key) ? key.range?.[0] : undefined, problem: 'YAML merge keys (<<) are not allowed in cassettes: write the fields out in full' };
        return visit.BREAK;
      }
      return undefined;
    },
    Node(_, node) {
      if (node.anchor !== undefined) {
        found = { offset: node.range?.[0], problem: `YAML anchor &${shortText(node.anchor, 40)} is not allowed in cassettes: remove it (aliases are refused too)` };
        return visit.BREAK;
      }
      if (node.tag !== undefined) {
        found = { offset: node.range?.[0], problem: `YAML tag ${shortText(node.tag.replace(/^tag:yaml\.org,2002:/, '!!'), 40)} is not allowed in cassettes: remove it (cassettes hold plain strings, numbers, lists and mappings)` };
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

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
export function parseCassette(text: string, file: string): Cassette {
  const source = shortText(file);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lineCounter.linePos(offset).line);
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    // The parser reports its own stack overflow on deeply nested input as a YAML error.
    const what = /call stack/i.test(err.message) ? 'nested too deeply' : shortText(err.message.split('\n')[0]!, 160);
    throw new TraceForgeError('E_CASSETTE_INVALID', `${source}:${lineOf(err.pos[0])}: invalid YAML: ${what}`, { cause: err });
  }
  const unsupported = findUnsupported(doc);
  if (unsupported) throw new TraceForgeError('E_CASSETTE_INVALID', `${source}:${lineOf(unsupported.offset)}: ${unsupported.problem}`);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    const what = e instanceof RangeError ? 'nested too deeply' : shortText((e as Error).message, 160);
    throw new TraceForgeError('E_CASSETTE_INVALID', `${source}:1: cassette cannot be read: ${what}`, { cause: e });
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
