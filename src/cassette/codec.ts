import { TraceForgeError } from '../errors.js';
import { findTraceProblems } from '../trace/validate.js';
import type { Trace } from '../trace/types.js';
import { shortText } from '../util/one-line.js';
import { stringifyTraceBody } from './emit.js';
import { createDocumentSplitter, DocumentTooBig, type RawDocument } from './documents.js';
import { createBoundsScanner } from './bounds-scan.js';
import { DEFAULT_LIMITS, type CassetteLimits } from './bounds.js';
import { readEmitted } from './fast-read.js';
import { parseYaml, toPath, yamlLib } from './yaml-rules.js';

/** The version written. Version 1 (one document with an `interactions:` list) is still read. */
export const CASSETTE_VERSION = 2;

/** An ordered list of recorded interactions; each entry has exactly the shape of a trace file. */
export interface Cassette {
  version: number;
  interactions: Trace[];
  /** What was skipped while loading (a last interaction cut off mid-write), one line each. Absent when nothing was. */
  warnings?: string[];
}

/**
 * A version 1 cassette is one YAML document, read whole. Version 2 documents are read one at a time,
 * each up to MAX_INTERACTION_BYTES (a recorded body over 8 MiB is never put in a cassette).
 */
export const MAX_V1_CASSETTE_BYTES = 256 * 1024 * 1024;
export const MAX_INTERACTION_BYTES = 64 * 1024 * 1024;

const HEADER =
  '# TraceForge cassette: recorded LLM calls, replayed byte- and timing-exact.\n' +
  '# Each interaction is one YAML document, from `---` to `...`, with the same shape as a trace file.\n' +
  '# Re-record rather than hand-edit `raw`.\n' +
  `version: ${CASSETTE_VERSION}\n`;

/** The first document of a version 2 cassette: comments and `version: 2`. */
export function cassetteHeader(): string {
  return HEADER;
}

/**
 * One interaction as a document of the stream. The closing `...` says it was written completely:
 * a crash mid-append can leave a prefix that is still valid YAML and a valid trace (fewer chunks,
 * a shorter number), and only the marker tells the two apart.
 */
export function stringifyInteraction(trace: Trace): string {
  return `---\n${stringifyTraceBody(trace)}...\n`;
}

/** A whole cassette in the current format. */
export function stringifyCassette(cassette: Cassette): string {
  return HEADER + cassette.interactions.map(stringifyInteraction).join('');
}

export function emptyCassette(): Cassette {
  return { version: CASSETTE_VERSION, interactions: [] };
}

const fail = (file: string, line: number, problem: string): never => {
  throw new TraceForgeError('E_CASSETTE_INVALID', `${shortText(file)}:${line}: ${problem}`);
};

/** Validate one trace value; the first problem is reported at its line. */
function checkTrace(value: unknown, index: number, lineAt: (path: Array<string | number>) => number, file: string, pathPrefix: Array<string | number>): Trace {
  const problems = findTraceProblems(value, `interactions[${index}]`);
  if (problems.length > 0) {
    const first = problems[0]!;
    const path = [...pathPrefix, ...toPath(first.path).slice(2)];
    fail(file, lineAt(path), `${first.path} ${first.problem}${problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : ''}`);
  }
  return value as Trace;
}

/** A problem confined to one interaction: reported, and that interaction left out, so the others still load. */
function skippable(e: unknown): e is TraceForgeError {
  return e instanceof TraceForgeError && e.code === 'E_CASSETTE_INVALID';
}
const skipped = (e: TraceForgeError, index: number): string => `${e.message} (interactions[${index}] is skipped; the others load: fix or re-record it)`;

/** A whole version 1 cassette: `version: 1` and an `interactions:` list, in one document. */
function parseV1(text: string, file: string, firstLine: number, warnings: string[]): Trace[] {
  const y = parseYaml(text, file, firstLine);
  const obj = y.value as Record<string, unknown>;
  if (!Array.isArray(obj.interactions) || !yamlLib().isSeq(y.doc.get('interactions', true))) {
    if (obj.interactions === null || obj.interactions === undefined) return [];
    y.fail(['interactions'], '`interactions` must be a list');
  }
  // A copy for the same reason as in parseInteraction: the values would keep the whole text alive.
  const out: Trace[] = [];
  (obj.interactions as unknown[]).forEach((entry, i) => {
    try {
      out.push(structuredClone(checkTrace(entry, i, y.lineAt, file, ['interactions', i])));
    } catch (e) {
      if (!skippable(e)) throw e;
      warnings.push(skipped(e, i));
    }
  });
  return out;
}

/** The first document: which version, and for version 1 every interaction. */
export function parseHeader(text: string, file: string, firstLine = 1, warnings: string[] = []): { version: 2 } | { version: 1; interactions: Trace[] } {
  const fast = readEmitted(text);
  if (fast?.version === 2 && Object.keys(fast).length === 1) return { version: 2 };
  const y = parseYaml(text, file, firstLine);
  if (y.value === null || y.value === undefined) {
    y.fail([], `the cassette is empty: expected \`version: ${CASSETTE_VERSION}\` (record one with \`traceforge record --cassette\`)`);
  }
  if (!yamlLib().isMap(y.doc.contents)) y.fail([], `a cassette starts with a mapping holding \`version: ${CASSETTE_VERSION}\``);
  const obj = y.value as Record<string, unknown>;
  if (obj.version === 1) return { version: 1, interactions: parseV1(text, file, firstLine, warnings) };
  if (obj.version !== 2) y.fail(['version'], `version is ${shortText(JSON.stringify(obj.version) ?? String(obj.version), 40)}; this TraceForge reads cassette versions 1 and 2 (re-record it)`);
  const extra = Object.keys(obj).find((k) => k !== 'version');
  if (extra !== undefined) {
    y.fail([extra], `a version 2 cassette header holds only \`version\`, not \`${shortText(extra, 40)}\`: each interaction is its own \`---\` document`);
  }
  return { version: 2 };
}

/** One interaction document of a version 2 cassette; `index` is its position, for messages. */
export function parseInteraction(text: string, file: string, firstLine: number, index: number): Trace {
  // The emitter's own layout is read directly; anything else, or a trace with a problem (reported with
  // its line), goes through `yaml`.
  const fast = readEmitted(text);
  if (fast !== undefined && findTraceProblems(fast, `interactions[${index}]`).length === 0) return fast as unknown as Trace;
  const y = parseYaml(text, file, firstLine);
  if (y.value === null || y.value === undefined) fail(file, firstLine, `interactions[${index}] is an empty document: remove the \`---\` line or record the interaction again`);
  // yaml's values hold on to the text they were parsed from (a 1 MB document kept 21 MB alive, and a
  // 60 MB cassette loaded into 1.3 GB of heap); a copy keeps only the values (1 MB).
  return structuredClone(checkTrace(y.value, index, y.lineAt, file, []));
}

/** Where an interaction's document is in the file (absent for version 1, where all are one document). */
export interface DocumentPlace {
  offset: number;
  length: number;
  line: number;
}

export interface CassetteParser {
  push(chunk: Uint8Array): void;
  /** True once a `---` line was seen: the file is a document stream, not one version 1 document. */
  readonly sawMarker: boolean;
  /** The version read, how many interactions, and what was skipped. */
  end(): { version: 1 | 2; count: number; warnings: string[] };
}

/** What to do with each interaction as it is read. */
export interface CassetteHandlers {
  /** A version 1 interaction: all of them are parsed at once, with the one document. */
  trace(trace: Trace, index: number): void;
  /** A version 2 interaction document, complete, not parsed yet. */
  document(text: string, place: DocumentPlace, index: number): void;
}

/** Handlers that parse and validate every interaction. */
export function parseEach(file: string, onInteraction: (trace: Trace, place: DocumentPlace | undefined, index: number) => void): CassetteHandlers {
  return {
    trace: (t, i) => onInteraction(t, undefined, i),
    document: (text, place, i) => onInteraction(parseInteraction(text, file, place.line, i), place, i),
  };
}

const tornWarning = (file: string, doc: RawDocument): string =>
  `${shortText(file)}: the last interaction (from line ${doc.line}) was cut off mid-write and is ignored; re-record it or delete it (it has no closing \`...\` line)`;

/**
 * Read a cassette of either version from its bytes, chunk by chunk, handing over each interaction as
 * soon as its document is complete, so at most one document is in memory at a time (all of a version 1
 * cassette, which is one document). Only the last document may be incomplete: it is dropped with a warning.
 */
export function createCassetteParser(file: string, handlers: CassetteHandlers, limits: CassetteLimits = DEFAULT_LIMITS): CassetteParser {
  const splitter = createDocumentSplitter({ first: MAX_V1_CASSETTE_BYTES, other: MAX_INTERACTION_BYTES });
  // Every byte passes the bounds scan before the splitter keeps it: a hostile document is refused
  // while it is read, before YAML builds a node of it.
  const bounds = createBoundsScanner(file, limits);
  let version: 1 | 2 | undefined;
  let count = 0;
  const warnings: string[] = [];
  const take = (doc: RawDocument, last: boolean) => {
    const text = doc.bytes.toString('utf8');
    if (version === undefined) {
      const header = parseHeader(text, file, doc.line, warnings);
      version = header.version;
      if (header.version === 1) header.interactions.forEach((t) => handlers.trace(t, count++));
      return;
    }
    if (version === 1) fail(file, doc.line, 'a version 1 cassette is one YAML document, but another starts here: remove it, or re-record the cassette');
    if (last && !doc.ended) {
      warnings.push(tornWarning(file, doc));
      return;
    }
    try {
      const found = bounds.invalid(count);
      if (found) throw found;
      handlers.document(text, { offset: doc.offset, length: doc.bytes.length, line: doc.line }, count);
    } catch (e) {
      if (!skippable(e)) throw e;
      warnings.push(skipped(e, count));
    }
    count++;
  };
  const tooBig = (e: unknown): never => {
    if (!(e instanceof DocumentTooBig)) throw e;
    if (e.first && !splitter.sawMarker) {
      fail(file, e.line, `over ${MAX_V1_CASSETTE_BYTES} bytes with no \`---\` document in it: a version 1 cassette is one YAML document and is refused above that size; split it into several cassettes`);
    }
    return fail(file, e.line, `this document is over the ${MAX_INTERACTION_BYTES}-byte limit for one interaction; split the cassette or re-record a shorter call`);
  };
  return {
    get sawMarker() {
      return splitter.sawMarker;
    },
    push(chunk) {
      bounds.push(chunk);
      let docs: RawDocument[];
      try {
        docs = splitter.push(chunk);
      } catch (e) {
        return tooBig(e);
      }
      for (const d of docs) take(d, false);
    },
    end() {
      bounds.end();
      let docs: RawDocument[];
      try {
        docs = splitter.end();
      } catch (e) {
        return tooBig(e);
      }
      docs.forEach((d, i) => take(d, i === docs.length - 1));
      if (version === undefined) fail(file, 1, `the cassette is empty: expected \`version: ${CASSETTE_VERSION}\` (record one with \`traceforge record --cassette\`)`);
      return { version: version!, count, warnings };
    },
  };
}

/**
 * Parse and validate a whole cassette held in memory (either version). Every problem is reported as
 * `file:line: what is wrong`, with the file line of the offending field, so it can be fixed in an editor.
 */
export function parseCassette(text: string, file: string): Cassette {
  const interactions: Trace[] = [];
  const parser = createCassetteParser(file, parseEach(file, (t) => interactions.push(t)));
  parser.push(Buffer.from(text, 'utf8'));
  const { warnings } = parser.end();
  return { version: CASSETTE_VERSION, interactions, ...(warnings.length > 0 ? { warnings } : {}) };
}
