import { join } from 'node:path';
import type { DocBlock } from './blocks.js';
import { where } from './blocks.js';
import type { Workspace } from './workspace.js';

/**
 * TypeScript blocks as files of a user project. A block whose first line is a path comment
 * (`// src/app.ts: ...`) is written there, inside a folder per doc page, so the page's
 * `import { ask } from '../src/app.js'` resolves to the page's own app; any other block gets a name
 * from its line. `export {}` keeps each file a module (no clashes between pages' top-level names).
 */
export interface TsFile {
  block: DocBlock;
  /** Relative to the tsc project. */
  path: string;
  abs: string;
  /** The block is a vitest file (imports vitest or traceforge/vitest). */
  isTest: boolean;
  /** Named by a path comment: part of a small app the page builds up. */
  named: boolean;
}

const PATH_COMMENT = /^\/\/\s*([\w./-]+\.(?:ts|js|mts|mjs))(?=[:\s]|$)/;

export function pageDir(file: string): string {
  return file.replace(/\.md$/, '').replace(/[/.]/g, '-');
}

export function writeTsBlocks(ws: Workspace, blocks: DocBlock[]): TsFile[] {
  return blocks.map((block) => {
    const named = PATH_COMMENT.exec(block.code.split('\n')[0]!.trim());
    const ext = block.lang === 'js' ? 'js' : 'ts';
    const isTest = /from ['"](vitest|traceforge\/vitest)['"]/.test(block.code);
    const name = named ? named[1]! : `block-${block.line}${isTest ? '.test' : ''}.${ext}`;
    const path = join(pageDir(block.file), name);
    const abs = ws.write(join('tsc', path), `${block.code}export {};\n`);
    return { block, path, abs, isTest, named: Boolean(named) };
  });
}

export const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2023'],
    types: ['node'],
    strict: true,
    skipLibCheck: true,
    esModuleInterop: true,
    allowJs: true,
    checkJs: true,
    noEmit: true,
  },
  include: ['**/*.ts', '**/*.js'],
};

/** `docs-testing/src/app.ts(3,5): error TS2304: ...` -> `docs/testing.md:57: error TS2304: ...`. */
export function mapTscOutput(output: string, files: TsFile[]): string[] {
  const errors: string[] = [];
  for (const line of output.split('\n')) {
    const m = /^(.+?)\((\d+),(\d+)\): (error .*)$/.exec(line.trim());
    if (!m) continue;
    const f = files.find((x) => x.path === m[1] || x.abs.endsWith(`/${m[1]}`));
    errors.push(f ? `${where(f.block, Number(m[2]))}: ${m[4]}` : line.trim());
  }
  return errors;
}
