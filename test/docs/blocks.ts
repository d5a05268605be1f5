import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The fenced code blocks of README.md and docs/*.md, each with the file and line its fence opens on,
 * so a failing check names the place to fix. A block preceded by `<!-- docs-test: skip (reason) -->`
 * (blank lines allowed in between) is counted as skipped instead of run.
 */
export const ROOT = resolve(import.meta.dirname, '../..');

export interface DocBlock {
  /** Path relative to the repo root, e.g. `docs/gen.md`. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string's first word (`ts`, `sh`, ...); '' when the fence has none. */
  lang: string;
  code: string;
  /** The reason from a skip marker; undefined when the block is not marked. */
  skip?: string;
  /** A `docs-test:` marker that is not a well-formed skip, kept so the test can reject it. */
  badMarker?: string;
}

export function docFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;
const MARKER = /^\s*<!--\s*docs-test:(.*?)-->\s*$/;
const SKIP = /^\s*skip\s*\((.*)\)\s*$/;

export function extractBlocks(file: string): DocBlock[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  let marker: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const m = MARKER.exec(lines[i]!);
    if (m) {
      marker = m[1]!.trim();
      continue;
    }
    const open = FENCE.exec(lines[i]!);
    if (!open) {
      if (lines[i]!.trim() !== '') marker = undefined;
      continue;
    }
    const [, indent, fence, lang] = open as unknown as [string, string, string, string];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.trimStart().startsWith(fence) && l.trim().replaceAll(fence[0]!, '') === '') break;
      body.push(l.startsWith(indent) ? l.slice(indent.length) : l.trimStart());
    }
    const block: DocBlock = { file, line: i + 1, lang: lang.toLowerCase(), code: body.join('\n') + '\n' };
    if (marker !== undefined) {
      const skip = SKIP.exec(marker);
      if (skip && skip[1]!.trim() !== '') block.skip = skip[1]!.trim();
      else block.badMarker = marker;
    }
    blocks.push(block);
    marker = undefined;
    i = j;
  }
  return blocks;
}

export function allBlocks(): DocBlock[] {
  return docFiles().flatMap(extractBlocks);
}

/** `docs/gen.md:64`, clickable in most terminals. */
export function where(b: Pick<DocBlock, 'file' | 'line'>, offset = 0): string {
  return `${b.file}:${b.line + offset}`;
}
