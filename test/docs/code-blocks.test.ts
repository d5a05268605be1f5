/**
 * Every fenced code block of README.md and docs/*.md is checked, so the docs cannot drift from the code.
 * Each test's name says which check it is:
 * - `ts`/`js`: type-checked together against the package's published types (one tsc run, `traceforge`
 *   resolving to this repo), then run: test files under vitest in a project of their own (replayed from a
 *   cassette recorded from a local upstream; first as a developer when they hold an empty inline snapshot,
 *   then with CI=true), scripts with tsx, a page's `// src/app.ts` files by the page's own `sh` commands.
 * - `yaml`: loaded by `loadCassette`, then replayed by `startReplayServer` byte for byte; `json`: `parseTrace`.
 * - `sh`: each command runs against the built CLI in a temp project (servers started, sent a call, stopped
 *   with SIGINT; real provider hosts and fixed ports replaced by local ones), or, where it cannot run
 *   offline, every flag it uses is checked against its command's `--help` (see commands.ts).
 * - `text`: each `$ command` line runs, in page order, and the lines shown must appear in its output in
 *   order with numbers masked; a `traceforge ...` synopsis uses real flags; the replay-miss message is
 *   produced for real. `mustache`: the template is installed and `gen` picks and renders it.
 * A block that cannot be checked carries `<!-- docs-test: skip (reason) -->`; at most MAX_SKIPPED may.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { allBlocks, docFiles, ROOT, where, type DocBlock } from './blocks.js';
import { checkFlags, envFor, offlineArgs, planCommand, runCommands, type Context } from './commands.js';
import { browsingTraces, copyProject, genTrace, recordFixtureCassette, saveTraces, writeUserProject } from './fixtures.js';
import { findMissingLine, helpFlags, run, traceforge, userEnv, type RunResult } from './run.js';
import { parseShell } from './shell.js';
import { checkMissExplanation, checkTemplate } from './outputs.js';
import { parseTextBlock } from './text-blocks.js';
import { mapTscOutput, pageDir, TSCONFIG, writeTsBlocks, type TsFile } from './ts-blocks.js';
import { startDocsUpstream, type DocsUpstream } from './upstream.js';
import { createWorkspace, type Workspace } from './workspace.js';
import { startReplayServer } from '../../src/replay/replay-server.js';
import { loadCassette } from '../../src/store/cassette-file.js';
import { parseTrace } from '../../src/trace/codec.js';
import { makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { frameBytes } from '../../src/ws/tape.js';
import { converseWithTape } from './ws-block.js';

const MAX_SKIPPED = 4;
const LANGS = new Set(['sh', 'bash', 'console', 'ts', 'js', 'yaml', 'json', 'text', 'mustache']);

// Checks mostly wait on child processes and streams at recorded pace: 8 at a time keeps 2 cores busy (as fast
// as 40 at a time, measured) without starving the suite's other files, some of which measure timing.
vi.setConfig({ maxConcurrency: 8 });

const blocks = allBlocks();
const ofLang = (...langs: string[]) => blocks.filter((b) => !b.skip && langs.includes(b.lang));

let ws: Workspace;
let upstream: DocsUpstream;
/** The prepared user project every command runs in a copy of. */
let cli: string;
let ids: string[] = [];
let tsFiles: TsFile[];
let copies = 0;

/** A fresh copy of the prepared project for one block. */
function projectFor(b: Pick<DocBlock, 'file' | 'line'>): string {
  return copyProject(cli, join(ws.dir, `${pageDir(b.file)}-${b.line}-${++copies}`));
}

function contextFor(dir: string): Context {
  return { dir, upstream: upstream.url, bin: ws.bin, ids };
}

beforeAll(async () => {
  ws = createWorkspace();
  upstream = await startDocsUpstream();
  cli = ws.project('cli');
  tsFiles = writeTsBlocks(ws, ofLang('ts', 'js'));
  ws.write('tsc/tsconfig.json', JSON.stringify(TSCONFIG, null, 2));
  // A streamed and a non-streamed call: what `<id>`, `<a>` and `<b>` stand for.
  const recorded = [makeOpenAIStreamTrace({ id: '5e1ec7ab1e01' }), makeNonStreamTrace({ id: 'c0c0a0b0c0d2', timestamp: '2026-11-24T15:42:00.123Z' })];
  await saveTraces(cli, recorded);
  ids = recorded.map((t) => t.id);
  writeUserProject(cli);
  await recordFixtureCassette(cli, upstream.url);
}, 60_000);

afterAll(async () => {
  await upstream?.close();
  ws?.cleanup();
});

describe('docs code blocks: inventory', () => {
  it('finds the blocks of README.md and docs/*.md', () => {
    expect(blocks.length).toBeGreaterThan(30);
  });

  it('every block has a language tag this test knows', () => {
    const bad = blocks.filter((b) => !LANGS.has(b.lang)).map((b) => `${where(b)}: ${b.lang ? `"${b.lang}" is not one of ${[...LANGS].join(', ')}` : 'no language tag (use text for output)'}`);
    expect(bad, bad.join('\n')).toEqual([]);
  });

  it(`every docs-test marker is a skip with a reason, and at most ${MAX_SKIPPED} blocks are skipped`, () => {
    const bad = blocks.filter((b) => b.badMarker !== undefined).map((b) => `${where(b)}: marker "${b.badMarker}" is not "skip (reason)"`);
    expect(bad, bad.join('\n')).toEqual([]);
    const skipped = blocks.filter((b) => b.skip);
    expect(skipped.length, skipped.map((b) => `${where(b)}: ${b.skip}`).join('\n')).toBeLessThanOrEqual(MAX_SKIPPED);
  });
});

describe('docs code blocks: ts and js', () => {
  it('type-check against the package types (one tsc run over every block)', async () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await run([process.execPath, tsc, '-p', join(ws.dir, 'tsc', 'tsconfig.json')], join(ws.dir, 'tsc'), userEnv(), 60_000);
    const errors = mapTscOutput(r.stdout, tsFiles);
    expect(errors, errors.join('\n') || r.stdout + r.stderr).toEqual([]);
    expect(r.code).toBe(0);
  }, 60_000);
});

describe('docs code blocks: yaml and json', () => {
  it.each(ofLang('yaml').map((b) => [where(b), b] as const))('%s: loadCassette reads it and startReplayServer serves its first interaction byte for byte', async (_, b: DocBlock) => {
    const file = ws.write(`data/block-${b.line}.yaml`, b.code);
    // The loader's `file:line:` points into the temp copy; say where that is in the doc.
    const cassette = await loadCassette(file).catch((e: Error) => {
      throw new Error(e.message.replace(new RegExp(`${file}:(\\d+)`, 'g'), (_m, n: string) => where(b, Number(n))));
    });
    expect(cassette.interactions.length, where(b)).toBeGreaterThan(0);
    const first = cassette.interactions[0]!;
    const replay = await startReplayServer({ cassette: file, port: 0, speed: 0 });
    try {
      if (first.websocket) {
        const got = await converseWithTape(replay.url, first);
        const server = first.websocket.frames.filter((f) => f.from === 'server');
        expect(got.map((g) => [g.binary, g.bytes.toString('base64')]), where(b)).toEqual(server.map((f) => [f.opcode === 'binary', frameBytes(f).toString('base64')]));
        expect(replay.misses, where(b)).toEqual([]);
        return;
      }
      const res = await fetch(`${replay.url}${first.http.url}`, { method: first.http.method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(first.request) });
      expect(res.status, where(b)).toBe(first.http.status);
      const want = (first.chunks ?? first.http.body ?? []).map((c) => c.raw).join('');
      expect(await res.text(), where(b)).toBe(want);
    } finally {
      await replay.close();
    }
  });

  it.each(ofLang('json').map((b) => [where(b), b] as const))('%s: parseTrace reads it', (_, b: DocBlock) => {
    expect(() => parseTrace(b.code, where(b))).not.toThrow();
  });
});

const isGenerated = (b: DocBlock) => b.code.startsWith('// Generated by `traceforge gen`');

describe('docs code blocks: ts and js, run', () => {
  const pathComment = /^\/\/\s*[\w./-]+\.(ts|js)/;
  // Scripts, one after the other in one tsx process (each its own module; a failure names its block).
  const scripts = ofLang('ts', 'js').filter((b) => !/from ['"](vitest|traceforge\/vitest)['"]/.test(b.code) && !pathComment.test(b.code));
  it.concurrent(`${scripts.map((b) => where(b)).join(', ')}: run with tsx in a project with fixtures/chat.yaml`, async () => {
    const files = scripts.map((b) => [where(b), tsFiles.find((f) => f.block === b)!.abs] as const);
    const runner = ws.write(
      'run-scripts.ts',
      `for (const [at, file] of ${JSON.stringify(files)}) {\n  try { await import(file); } catch (e) { console.error(at + ': ' + String((e as Error)?.stack ?? e)); process.exit(1); }\n}\n`,
    );
    const r = await run([process.execPath, '--import', 'tsx', runner], projectFor({ file: 'scripts', line: 0 }), userEnv({}, ws.bin));
    expect(r.code, `${r.stderr || r.stdout}`).toBe(0);
  });

  // Test files the pages show whole, side by side in one project (one vitest start per pass), replayed from
  // fixtures/chat.yaml (recorded from the local upstream): those with an empty inline snapshot first as a
  // developer runs them (the snapshot gets written), then all of them under CI, with no key.
  const testBlocks = ofLang('ts').filter((b) => /from ['"]traceforge\/vitest['"]/.test(b.code) && !isGenerated(b) && !pathComment.test(b.code));
  it.concurrent(`${testBlocks.map((b) => where(b)).join(', ')}: pass under vitest with CI=true (those with inline snapshots run once without CI first, to write them)`, async () => {
    const dir = projectFor({ file: 'test-files', line: 0 });
    const fileOf = new Map(testBlocks.map((b) => [`test/${pageDir(b.file)}-${b.line}.test.ts`, b]));
    for (const [path, b] of fileOf) writeFileSync(join(dir, path), b.code);
    const vitest = [process.execPath, join(ws.bin, '..', 'vitest', 'vitest.mjs'), 'run'];
    const snapshots = [...fileOf].filter(([, b]) => b.code.includes('toMatchInlineSnapshot()')).map(([path]) => path);
    const passes = [
      { env: { OPENAI_API_KEY: 'sk-docs-test-key-000000000000' }, files: snapshots },
      { env: { CI: 'true' }, files: [...fileOf.keys()] },
    ];
    for (const { env, files } of passes) {
      if (files.length === 0) continue;
      const r = await run([...vitest, ...files], dir, userEnv(env), 60_000);
      const failed = files.filter((path) => new RegExp(`(FAIL|❯|×) +${path}`).test(r.stdout)).map((path) => where(fileOf.get(path)!));
      expect(r.code, `${failed.join(', ') || 'vitest'}: failed with ${JSON.stringify(env)}\n${r.stdout.slice(-6000)}\n${r.stderr.slice(-2000)}`).toBe(0);
    }
  }, 60_000);
});

describe('docs code blocks: sh', () => {
  const shBlocks = ofLang('sh', 'bash', 'console');
  const named = (file: string) => tsFiles.filter((f) => f.named && f.block.file === file);
  it.concurrent.each(
    shBlocks.map((b) => {
      const cmds = parseShell(b.code);
      const plans = cmds.map((c) => planCommand(c, cmds));
      return [`${where(b)}: ${plans.map((p) => p.label).join('; ')}`, b, plans] as const;
    }),
  )('%s', async (_, b, plans) => {
    const dir = projectFor(b);
    // A block that runs vitest runs the app and test the page showed just before it, and only those.
    if (plans.some((p) => p.cmd.argv[0] === 'vitest')) {
      rmSync(join(dir, 'test', 'chat.test.ts'));
      for (const f of named(b.file)) {
        const to = join(dir, f.path.slice(pageDir(b.file).length + 1));
        mkdirSync(join(to, '..'), { recursive: true });
        writeFileSync(to, f.block.code);
      }
    }
    await runCommands((n) => where(b, n), plans, contextFor(dir));
  }, 60_000);
});

describe('docs code blocks: text and mustache', () => {
  // Output blocks of one page run in order in one project: gen.md records, lists, generates, then runs the test.
  it.concurrent.each(docFiles().filter((f) => blocks.some((b) => b.file === f && !b.skip && (b.lang === 'text' || b.lang === 'mustache'))))(
    '%s: each "$ command" runs and prints the lines shown (numbers masked), synopses use real flags, the template renders',
    async (file) => {
      const dir = projectFor({ file, line: 0 });
      // These pages list traces: only the ones they show.
      const own = file === 'docs/browsing.md' ? browsingTraces() : file === 'docs/gen.md' ? [genTrace()] : [];
      if (own.length > 0) {
        rmSync(join(dir, '.ai-tests', 'traces'), { recursive: true, force: true });
        await saveTraces(dir, own);
      }
      const ctx = contextFor(dir);
      let generated: string | undefined;
      for (const b of blocks.filter((x) => x.file === file && !x.skip)) {
        if (b.lang === 'mustache') await checkTemplate(b, ws.project(`template-${b.line}`));
        if (isGenerated(b)) {
          expect(generated, `${where(b)}: no "$ traceforge gen" before it on the page wrote a test`).toBeDefined();
          expect(readFileSync(join(dir, generated!), 'utf8'), `${where(b)}: differs from the ${generated} traceforge gen wrote`).toBe(b.code);
        }
        if (b.lang !== 'text') continue;
        const text = parseTextBlock(b.code);
        if (text.kind === 'synopsis') {
          const flags = b.code.match(/--[a-z][\w-]*/g) ?? [];
          const known = await helpFlags(text.cmd.argv.slice(1, 2));
          expect(flags.filter((f) => !known.has(f)), `${where(b)}: flags not in traceforge ${text.cmd.argv[1]} --help`).toEqual([]);
        } else if (text.kind === 'output') {
          // The one output shown without its command: a replay miss, against the formats.md cassette.
          if (!/matched no recording/.test(b.code)) throw new Error(`${where(b)}: a text block with no "$ command" line and no check here: show the command, or mark it <!-- docs-test: skip (reason) -->`);
          await checkMissExplanation(b, blocks.find((x) => x.file === 'docs/formats.md' && x.lang === 'yaml')!, ws.project(`miss-${b.line}`));
        } else {
          for (const s of text.sessions) {
            const at = where(b, s.cmd.offset + 1);
            const [prog, ...args] = s.cmd.argv;
            let r: RunResult;
            if (prog === 'traceforge') {
              await checkFlags(at, s.cmd);
              r = await traceforge(offlineArgs(args, ctx), dir, envFor(s.cmd, ctx));
            } else if (prog === 'vitest') {
              r = await run([process.execPath, join(ws.bin, '..', 'vitest', 'vitest.mjs'), ...args], dir, userEnv({}, ws.bin), 60_000);
            } else if (prog === 'npm' && args[0] === 'ls') {
              // The dependency tree of this repository, as docs/limits.md shows it.
              r = await run(['npm', ...args], ROOT, userEnv());
            } else throw new Error(`${at}: no way to run \`${s.cmd.text}\` here`);
            const output = r.stdout + r.stderr;
            generated = /^wrote (\S+\.test\.ts)/m.exec(output)?.[1] ?? generated;
            const failing = s.shown.some((l) => l.startsWith('traceforge:'));
            expect(r.code, `${at}: \`${s.cmd.text}\` exited ${r.code}\n${output}`).toBe(failing ? 1 : 0);
            const missing = findMissingLine(s.shown, output);
            expect(missing, `${at}: \`${s.cmd.text}\` does not print the line at ${where(b, s.cmd.offset + 2 + missing)}:\n${s.shown[missing]}\n--- it printed:\n${output}`).toBe(-1);
          }
        }
      }
    },
    60_000,
  );
});
