import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTraceStore } from '../../src/store/trace-store.js';
import { parseTrace } from '../../src/trace/codec.js';
import { legacyToTrace } from '../../src/trace/legacy.js';
import { runCli } from '../cli/trace-cli-helpers.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { SEED_DIR, SEEDS } from './seeds.js';

let cwd: string;
let dir: string;

/** A project whose traces directory holds the seed-shaped files as the first TraceForge left them, plus one current trace. */
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'tf-legacy-'));
  dir = join(cwd, '.ai-tests', 'traces');
  await mkdir(dir, { recursive: true });
  for (const s of SEEDS) await copyFile(join(SEED_DIR, `${s}.json`), join(dir, `${s}.json`));
  await createTraceStore(dir).save(makeOpenAIStreamTrace({ id: 'aaaa1111bbbb', timestamp: '2026-05-01T10:00:00.000Z', text: 'Hello there.' }));
});
afterEach(() => rm(cwd, { recursive: true, force: true }));

describe('legacy traces in the CLI', () => {
  it('trace list shows them, marked, with nothing skipped', async () => {
    const r = await runCli(cwd, ['trace', 'list']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[1]).toMatch(/^aaaa1111\s.*\sStream\s+200\s/);
    expect(lines[2]).toMatch(/^e5f6a7b8\s+2025-01-17 10:00:00\s+\/v1\/chat\/completions\s+gpt-4\.1-mini\s+Stream\*\s+200\s+8\s+468\.2 ms\s+388\.0 ms {2}\S.*$/); // then the prompt
    expect(lines[3]).toMatch(/^3f2b8e1a\s+2025-01-16 08:12:45\s+\/v1\/messages\s+claude-sonnet-4-5\s+Stream\*\s+200\s+15\s/);
    expect(lines[4]).toMatch(/^7c9e6679\s.*\sStream\*\s+200\s+20\s/);
    expect(lines[5]).toMatch(/^\* from the first TraceForge \(schema 1\.0\.0\): .*3 file\(s\) read as is, `traceforge trace upgrade <dir>`/);
    const json = JSON.parse((await runCli(cwd, ['trace', 'list', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(json.map((x) => [x.id, x.synthesized, x.legacy_schema])).toEqual([
      ['aaaa1111bbbb', false, null],
      ['e5f6a7b8c9d0', true, '1.0.0'],
      ['3f2b8e1a-5d4c-4e8f-9a1b-2c3d4e5f6a7b', true, '1.0.0'],
      ['7c9e6679f4a1', true, '1.0.0'],
    ]);
  });

  it('trace view --text shows streaming metadata, the timeline and the complete response, by the id in the file', async () => {
    // The file is named anthropic-messages-stream.json: the id prefix from `trace list` still finds it.
    const r = await runCli(cwd, ['trace', 'view', '3f2b8e1a', '--text'], { NO_COLOR: '1' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^Origin\s+schema 1\.0\.0 trace \(first TraceForge\)$/m);
    expect(out).toMatch(/^Framing\s+SSE synthesised from parsed chunks$/m);
    expect(out).toMatch(/^Total Chunks\s+15$/m);
    expect(out).toMatch(/^First Chunk Latency\s+655\.8 ms$/m);
    expect(out).toMatch(/^Stream Duration\s+240\.7 ms$/m);
    expect(out).toMatch(/^\s+3\s+38\.2\s+697\.3\s.*"Bonjour"$/m);
    expect(out).toContain('── Complete response');
    expect(out).toMatch(/^Bonjour! Paris is the capital of France\.$/m);
    expect(out).toMatch(/^Finish reason\s+end_turn$/m);
    // The file itself is untouched.
    expect(await readFile(join(dir, 'anthropic-messages-stream.json'), 'utf8')).toBe(await readFile(join(SEED_DIR, 'anthropic-messages-stream.json'), 'utf8'));
  });

  it('trace diff: legacy against legacy, and legacy against a current trace', async () => {
    const ll = await runCli(cwd, ['trace', 'diff', '7c9e', 'e5f6'], { NO_COLOR: '1' });
    expect(ll.stderr).toBe('');
    expect(ll.code).toBe(0);
    expect(ll.stdout).toMatch(/^A is a schema 1\.0\.0 trace from the first TraceForge/m);
    expect(ll.stdout).toMatch(/^B is a schema 1\.0\.0 trace from the first TraceForge/m);
    expect(ll.stdout).toMatch(/^TTFB\s+412\.4 ms\s+388\.0 ms\s+-24\.3 ms/m);
    expect(ll.stdout).toMatch(/^Chunks\s+20\s+8\s+-12/m);
    const lc = await runCli(cwd, ['trace', 'diff', '7c9e', 'aaaa1111'], { NO_COLOR: '1' });
    expect(lc.code).toBe(0);
    expect(lc.stdout).toMatch(/^A is a schema 1\.0\.0 trace/m);
    expect(lc.stdout).not.toMatch(/^B is a schema/m);
    expect(lc.stdout).toContain('TraceForge records each streamed chunk');
    expect(lc.stdout).toContain('Hello there.');
  });

  it('trace upgrade: --dry-run writes nothing; then each file is rewritten with a .bak of the original, and reads back as the same trace', async () => {
    const before = Object.fromEntries(await Promise.all(SEEDS.map(async (s) => [s, await readFile(join(dir, `${s}.json`), 'utf8')] as const)));
    const listed = (await runCli(cwd, ['trace', 'list', '--json'])).stdout;

    const dry = await runCli(cwd, ['trace', 'upgrade', dir, '--dry-run'], { NO_COLOR: '1' });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/anthropic-messages-stream\.json: would upgrade schema 1\.0\.0 to 1 \(anthropic, 15 chunks/);
    expect(dry.stdout).toMatch(/^would upgrade 3 \(dry run, nothing written\), already current 1, failed 0$/m);
    expect((await readdir(dir)).filter((n) => n.endsWith('.bak'))).toEqual([]);

    const up = await runCli(cwd, ['trace', 'upgrade', dir], { NO_COLOR: '1' });
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/^upgraded 3, already current 1, failed 0$/m);
    for (const s of SEEDS) {
      expect(await readFile(join(dir, `${s}.json.bak`), 'utf8')).toBe(before[s]);
      const upgraded = await readFile(join(dir, `${s}.json`), 'utf8');
      expect(JSON.parse(upgraded).schema_version).toBe(1);
      expect(parseTrace(upgraded, s)).toEqual(legacyToTrace(JSON.parse(before[s]!), s));
    }
    // The listing is the same, except that the files are no longer read as legacy.
    const strip = (t: string) => (JSON.parse(t) as Array<Record<string, unknown>>).map(({ legacy_schema: _, ...rest }) => rest);
    expect(strip((await runCli(cwd, ['trace', 'list', '--json'])).stdout)).toEqual(strip(listed));

    const again = await runCli(cwd, ['trace', 'upgrade', dir], { NO_COLOR: '1' });
    expect(again.stdout).toMatch(/^upgraded 0, already current 4, failed 0$/m);
  });

  it('trace upgrade: bad input is one line and a non-zero exit; an existing .bak is never overwritten', async () => {
    const missing = await runCli(cwd, ['trace', 'upgrade', 'no/such/dir'], { NO_COLOR: '1' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('traceforge: no/such/dir: no such file or directory; pass a trace file or a directory such as .ai-tests/traces\n');

    await writeFile(join(dir, 'broken.json'), '{"schema_version":"1.0.0","chunks":[42]}');
    await writeFile(join(dir, 'openai-chat-stream.json.bak'), 'an older backup');
    const r = await runCli(cwd, ['trace', 'upgrade', dir], { NO_COLOR: '1' });
    expect(r.code).toBe(1);
    const errors = r.stderr.trimEnd().split('\n');
    expect(errors).toEqual([
      expect.stringMatching(/^traceforge: .*broken\.json: schema 1\.0\.0 trace could not be read: \$\.chunks\[0\] must be an object or a string, got number; nothing was changed$/),
      expect.stringMatching(/^traceforge: .*openai-chat-stream\.json: .*openai-chat-stream\.json\.bak already exists; move it away \(or pass --no-backup\) and run again; nothing was changed$/),
    ]);
    expect(r.stdout).toMatch(/^upgraded 2, already current 1, failed 2$/m);
    expect(await readFile(join(dir, 'openai-chat-stream.json.bak'), 'utf8')).toBe('an older backup');
    expect(JSON.parse(await readFile(join(dir, 'openai-chat-stream.json'), 'utf8')).schema_version).toBe('1.0.0');

    const noBackup = await runCli(cwd, ['trace', 'upgrade', join(dir, 'openai-chat-stream.json'), '--no-backup'], { NO_COLOR: '1' });
    expect(noBackup.code).toBe(0);
    expect(await readFile(join(dir, 'openai-chat-stream.json.bak'), 'utf8')).toBe('an older backup');
    expect(JSON.parse(await readFile(join(dir, 'openai-chat-stream.json'), 'utf8')).schema_version).toBe(1);

    const usage = await runCli(cwd, ['trace', 'upgrade', dir, '--in-place'], { NO_COLOR: '1' });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^traceforge: unknown option --in-place for `traceforge trace upgrade`\n/);
  });

  it('a legacy trace over the whole-load limit is refused with the command that fixes it, and views once upgraded', async () => {
    const env = { NO_COLOR: '1', TRACEFORGE_WINDOW_BYTES: '2000' };
    const big = await runCli(cwd, ['trace', 'view', '7c9e', '--text'], env);
    expect(big.code).toBe(1);
    expect(big.stderr).toMatch(/^traceforge: \S+openai-chat-stream\.json: a schema 1\.0\.0 trace \(first TraceForge\) of \d+ bytes, over the 2000 bytes read whole \(TRACEFORGE_WINDOW_BYTES\); run `traceforge trace upgrade \S+openai-chat-stream\.json` once, then view it\n$/);
    expect((await runCli(cwd, ['trace', 'upgrade', join(dir, 'openai-chat-stream.json')])).code).toBe(0);
    const windowed = await runCli(cwd, ['trace', 'view', '7c9e', '--text'], env);
    expect(windowed.code).toBe(0);
    expect(windowed.stdout).toMatch(/^Total Chunks\s+20$/m);
    expect(windowed.stdout).toMatch(/^Framing\s+SSE synthesised from parsed chunks$/m);
  });

  it('trace upgrade --help says what it writes and keeps', async () => {
    const r = await runCli(cwd, ['trace', 'upgrade', '--help'], { NO_COLOR: '1' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('$ traceforge trace upgrade <path> [options]');
    expect(r.stdout).toContain('after its original is copied to <file>.bak; both writes are atomic');
    expect(r.stdout).toMatch(/--dry-run\s+Say what would be done; write nothing/);
    expect(r.stdout).toMatch(/--no-backup\s+Do not keep the originals as <file>\.bak/);
  });
});
