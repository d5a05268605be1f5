import { createRequire } from 'node:module';
import type { Document, Node } from 'yaml';
import { TraceForgeError } from '../errors.js';
import { shortText } from '../util/one-line.js';
import { LIMIT_ENV } from './bounds.js';

/** No YAML alias is ever expanded, so a hostile file cannot exhaust memory (billion laughs). */
/** `yaml` runs out of stack at about 900 levels; the depth limit (bounds.ts) normally refuses far sooner. */
const TOO_DEEP = `nested too deeply for the YAML parser's stack (${LIMIT_ENV.maxDepth} above 500 lets such documents through; lower it)`;
const MAX_ALIASES = 0;

/**
 * The `yaml` library, loaded the first time a document needs it: what TraceForge wrote is read by
 * fast-read.ts, and loading `yaml` cost a replay thread 30-50 ms of its start.
 */
let lib: typeof import('yaml') | undefined;
export function yamlLib(): typeof import('yaml') {
  lib ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return lib;
}

/**
 * A cassette is plain data written by TraceForge. YAML features it never writes are refused with the
 * line they are on, rather than half-supported: aliases and anchors (alias bombs), tags (`!!js/function`,
 * `!!binary`), merge keys (`<<`), non-scalar keys and YAML 1.1 documents (where `yes`, `0o12` and dates change type).
 */
function findUnsupported(doc: Document): { offset: number | undefined; problem: string } | undefined {
  const { visit, isNode, isScalar, isAlias } = yamlLib();
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

/** One parsed YAML document of a cassette, with a way to turn a node path into a file line. */
export interface ParsedYaml {
  doc: Document;
  value: unknown;
  /** The file line of the node at `path` (or of its parent when it is missing). */
  lineAt(path: Array<string | number>): number;
  /** Throw `file:line: problem` for the node at `path`. */
  fail(path: Array<string | number>, problem: string): never;
}

/**
 * Parse one YAML document of a cassette under the rules above. `firstLine` is the file line the text
 * starts on, so every error names a line of the file, not of the document.
 */
export function parseYaml(text: string, file: string, firstLine = 1): ParsedYaml {
  const source = shortText(file);
  // A directive belongs to the document after the next `---`, which the stream split off: say what it is.
  const directive = /^%(\S*)[ \t]*(\S*)/m.exec(text);
  if (directive) {
    const line = firstLine + text.slice(0, directive.index).split('\n').length - 1;
    const problem = directive[1] === 'YAML' && directive[2] !== '1.2'
      ? `%YAML ${shortText(directive[2]!, 20)} documents are not supported: remove the %YAML line (cassettes are YAML 1.2)`
      : `YAML directive %${shortText(directive[1]!, 20)} is not supported in cassettes: remove the line`;
    throw new TraceForgeError('E_CASSETTE_INVALID', `${source}:${line}: ${problem}`);
  }
  const { LineCounter, parseDocument } = yamlLib();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined) => firstLine - 1 + (offset === undefined ? 1 : lineCounter.linePos(offset).line);
  const invalid = (line: number, problem: string, cause?: unknown): never => {
    throw new TraceForgeError('E_CASSETTE_INVALID', `${source}:${line}: ${problem}`, cause === undefined ? {} : { cause });
  };
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    // The parser reports its own stack overflow on deeply nested input as a YAML error.
    const what = /call stack/i.test(err.message) ? TOO_DEEP : shortText(err.message.split('\n')[0]!, 160);
    invalid(lineOf(err.pos[0]), `invalid YAML: ${what}`, err);
  }
  const unsupported = findUnsupported(doc);
  if (unsupported) invalid(lineOf(unsupported.offset), unsupported.problem);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    const what = e instanceof RangeError ? TOO_DEEP : shortText((e as Error).message, 160);
    invalid(firstLine, `invalid YAML: ${what}`, e);
  }
  const lineAt = (path: Array<string | number>): number => {
    const node = path.length === 0 ? doc.contents : (doc.getIn(path, true) as Node | undefined);
    const parentNode = node ?? (doc.getIn(path.slice(0, -1), true) as Node | undefined);
    return lineOf((parentNode ?? (doc.contents as Node | null) ?? undefined)?.range?.[0]);
  };
  return { doc, value, lineAt, fail: (path, problem) => invalid(lineAt(path), problem) };
}

/** `interactions[3].http.body[2].raw` -> ['interactions', 3, 'http', 'body', 2, 'raw'] */
export function toPath(p: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const m of p.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}
