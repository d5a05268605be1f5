import { interactionKey, type InteractionKey } from './match.js';
import { parseInteraction } from './codec.js';
import { readEmitted } from './fast-read.js';
import { parseYaml } from './yaml-rules.js';
import type { Provider } from '../trace/types.js';

/** The top-level fields matching needs; `chunks`, `response` and `http.body` can be megabytes and are left out. */
const WANTED = new Set(['schema_version', 'id', 'request', 'metadata', 'http']);
const SKIPPED_IN_HTTP = new Set(['body', 'response_headers']);
/** The big ones, as the fast reader's skip list. */
const SKIPPED = new Set(['chunks', 'response', ...[...SKIPPED_IN_HTTP].map((k) => `http.${k}`)]);

/**
 * Keep the lines of the wanted top-level fields (a top-level key is a line starting at column 0; what
 * belongs to it is indented). Returns undefined when the text is not laid out as TraceForge writes it.
 */
function wantedLines(text: string): string | undefined {
  const out: string[] = [];
  let keep = false;
  let inHttp = false;
  let httpSkip = false;
  let childIndent = -1;
  for (const line of text.split('\n')) {
    if (line === '---' || line === '...' || line === '' || line.startsWith('#')) continue;
    const top = /^([A-Za-z_][A-Za-z0-9_]*):( |$)/.exec(line);
    if (top) {
      keep = WANTED.has(top[1]!);
      inHttp = top[1] === 'http';
      httpSkip = false;
      childIndent = -1;
      if (keep) out.push(line);
      continue;
    }
    // Anything else at column 0 (a flow scalar's continuation, a marker with text): not our layout.
    if (!/^\s/.test(line)) return undefined;
    if (!keep) continue;
    if (inHttp) {
      const indent = line.length - line.trimStart().length;
      if (childIndent < 0) childIndent = indent;
      if (indent === childIndent) {
        const child = /^\s+([A-Za-z_][A-Za-z0-9_]*):( |$)/.exec(line);
        httpSkip = child !== null && SKIPPED_IN_HTTP.has(child[1]!);
      }
      if (httpSkip) continue;
    }
    out.push(line);
  }
  return `${out.join('\n')}\n`;
}

/**
 * What an index keeps of one interaction document, read without parsing its body: YAML parses at a
 * few MB/s, so parsing every chunk of a 250 MB cassette to index it would take minutes. The sections
 * are parsed under the same YAML rules; anything unexpected falls back to parsing the whole document,
 * which reports problems with file:line. The whole document is parsed and validated when it is served.
 */
export function readMatchKey(text: string, file: string, line: number, index: number): { key: InteractionKey; provider: Provider } {
  const fast = readEmitted(text, { skip: SKIPPED });
  const partial = fast === undefined ? wantedLines(text) : undefined;
  if (fast !== undefined || partial !== undefined) {
    try {
      const v = (fast ?? parseYaml(partial!, file, line).value) as Record<string, any> | null;
      const http = v?.http;
      if (typeof v?.id === 'string' && typeof http?.method === 'string' && typeof http?.url === 'string' && typeof v?.metadata?.provider === 'string') {
        const key = interactionKey({ ...v, http } as never);
        return { key, provider: v.metadata.provider as Provider };
      }
    } catch {
      // Reported, with the right line, by the whole parse below.
    }
  }
  const t = parseInteraction(text, file, line, index);
  return { key: interactionKey(t), provider: t.metadata.provider };
}
