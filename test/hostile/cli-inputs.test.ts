/**
 * The CLI (main() in-process, against src/) given broken trace files, path-like or odd ids and cassette paths that are not
 * cassettes: one line on stderr, exit 1, no stack trace, nothing written.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTraceStore } from '../../src/store/trace-store.js';
import { projectWith, type CliResult } from '../cli/trace-cli-helpers.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { runMain } from '../helpers/run-main.js';
import { caught, expectOneLine } from './helpers.js';

/** One line on stderr, exit 1, nothing on stdout, no stack frames. */
function oneLineFailure(r: CliResult, pattern: RegExp): string {
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^traceforge: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.code).toBe(1);
  return lines[0]!;
}

let project: Awaited<ReturnType<typeof projectWith>>;
let goodPath: string;
let cutPath: string;
let junkPath: string;
const cli = (...args: string[]) => runMain(args, { cwd: project.cwd, env: { NO_COLOR: '1' } });
/** Files outside the trace directory: a failed command must not have written any. */
const written = async () => (await readdir(project.cwd, { recursive: true })).filter((p) => !p.startsWith('.ai-tests') && !p.startsWith('in'));

beforeAll(async () => {
  project = await projectWith([
    makeOpenAIStreamTrace({ id: 'aa11good0000' }),
    makeOpenAIStreamTrace({ id: 'bb22cut00000', timestamp: '2026-02-01T00:00:00.000Z' }),
    makeOpenAIStreamTrace({ id: 'cc33junk0000', timestamp: '2026-03-01T00:00:00.000Z' }),
  ]);
  const store = createTraceStore(join(project.cwd, '.ai-tests', 'traces'));
  [goodPath, cutPath, junkPath] = await Promise.all(['aa11', 'bb22', 'cc33'].map((id) => store.resolve(id)));
  const text = await readFile(cutPath, 'utf8');
  await writeFile(cutPath, text.slice(0, Math.floor(text.length / 2)));
  await writeFile(junkPath, 'Hello, this is not JSON at all\n\u001b[31mred\n');
  await mkdir(join(project.cwd, 'in', 'a-directory.yaml'), { recursive: true });
});
afterAll(() => project.cleanup());

describe('broken trace files through the CLI', () => {
  it('trace view of a truncated trace: one line naming the file', async () => {
    const line = oneLineFailure(await cli('trace', 'view', 'bb22', '--text'), /not valid JSON \(.+\); the file may be truncated: re-record it or delete it$/);
    expect(line).toContain(cutPath);
  });

  it('trace view of text that is not JSON, with an escape sequence in it: one line, no raw escape', async () => {
    const r = await cli('trace', 'view', 'cc33', '--text');
    const line = oneLineFailure(r, /not valid JSON/);
    expect(line).toContain(junkPath);
    expect(r.stderr).not.toContain('\u001b');
  });

  it('gen of a truncated trace writes nothing', async () => {
    oneLineFailure(await cli('gen', 'bb22'), /not valid JSON/);
    expect(await written()).toEqual([]);
  });

  it('trace diff with a broken side names that side', async () => {
    const line = oneLineFailure(await cli('trace', 'diff', 'aa11', 'cc33', '--text'), /not valid JSON/);
    expect(line).toContain(junkPath);
    expect(line).not.toContain(goodPath);
  });

  it('a sparse 3 GB trace file is refused from its size, in one line', async () => {
    const path = join(project.cwd, '.ai-tests', 'traces', '2026-05-01T00-00-00-000Z_ee55huge0000.json');
    await writeFile(path, '');
    await truncate(path, 3 * 1024 ** 3);
    const line = oneLineFailure(await cli('trace', 'view', 'ee55', '--text'), /3221225472-byte/);
    expect(line).toContain(path);
    // Listing it (and looking up an id no file name carries, which lists) reads only its ends: the
    // fallback that parses a file of another layout whole stops at the window size, with its own line.
    const list = await cli('trace', 'list');
    expect(list.code).toBe(0);
    expect(list.stderr).toContain('skipped 2026-05-01T00-00-00-000Z_ee55huge0000.json: 3221225472 bytes, not in the layout TraceForge writes');
    oneLineFailure(await cli('trace', 'view', 'ffff', '--text'), /^traceforge: no trace matches "ffff"/);
  });

  it('a trace that is JSON but not a trace names the field', async () => {
    const store = createTraceStore(join(project.cwd, '.ai-tests', 'traces'));
    const path = await store.save(makeOpenAIStreamTrace({ id: 'dd44shape000', timestamp: '2026-04-01T00:00:00.000Z' }));
    const t = JSON.parse(await readFile(path, 'utf8'));
    t.http.response_headers.push(['x-evil\r\nset-cookie', 'a']);
    await writeFile(path, JSON.stringify(t));
    oneLineFailure(await cli('trace', 'view', 'dd44', '--text'), /invalid trace: \$\.http\.response_headers\[\d+\] has a name that is not an HTTP header name, got "x-evil\\r\\nset-cookie"/);
  });
});

describe('hostile ids', () => {
  // Each command is checked with a different id; the store's own check is the same for all of them.
  const cases: Array<[string, string[]]> = [
    ['../../etc/passwd', ['trace', 'view', '../../etc/passwd', '--text']],
    ['/etc/passwd', ['gen', '/etc/passwd']],
    ['aa11/../aa11', ['trace', 'diff', 'aa11', 'aa11/../aa11', '--text']],
    ['..', ['gen', '..']],
    ['C:\\Windows', ['trace', 'view', 'C:\\Windows', '--text']],
    ['~root', ['trace', 'diff', '~root', 'aa11', '--text']],
  ];
  it('path-like ids are not trace ids, for view, gen and diff', async () => {
    const results = await Promise.all(cases.map(([, args]) => cli(...args)));
    for (const [i, r] of results.entries()) {
      const line = oneLineFailure(r, /is not a trace id: use an id or id prefix from `traceforge trace list` \(paths are not accepted\)$/);
      expect(line).toContain(`"${cases[i]![0]}"`);
    }
    expect(await written()).toEqual([]);
  });

  it('an id with a newline or an escape sequence stays one line, written out escaped', async () => {
    const [nl, esc] = await Promise.all([cli('trace', 'view', 'aa11\nfake: line', '--text'), cli('trace', 'view', 'aa11\u001b[2J', '--text')]);
    const line = oneLineFailure(nl, /is not a trace id/);
    expect(line).toContain('"aa11\\nfake: line"');
    oneLineFailure(esc, /is not a trace id/);
    expect(esc.stderr).not.toContain('\u001b');
  });

  it('a very long id is one line', async () => {
    oneLineFailure(await cli('trace', 'view', 'a'.repeat(100_000), '--text'), /^traceforge: no trace matches "a+" in /);
  });

  it('an id with a NUL byte is refused in the store (argv cannot carry one)', async () => {
    const store = createTraceStore(join(project.cwd, '.ai-tests', 'traces'));
    for (const id of ['aa11\0', '\0', 'aa11\0/../../etc/passwd']) {
      const e = expectOneLine(await caught(() => store.load(id)), 'E_BAD_ID');
      expect(e.message).toMatch(/is not a trace id/);
    }
  });
});

describe('cassette paths that are not cassettes', () => {
  it('a negative number as a value is that option\'s usage error, not "unknown option --1"', async () => {
    for (const [args, want] of [
      [['record', '--port', '-1'], /--port must be a port number 0-65535, got "-1"/],
      [['replay', 'in/missing.yaml', '--speed', '-2'], /--speed must be a number >= 0, got "-2"/],
    ] as const) {
      const r = await cli(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(want);
      expect(r.stderr).not.toContain('unknown option');
    }
  });

  it('a port is decimal digits: 0x2328, 1e3, +80, " 80" and 65536 are refused by every command with --port', async () => {
    for (const command of [['record', '--upstream', 'http://127.0.0.1:9'], ['replay', 'in/missing.yaml']]) {
      for (const port of ['0x2328', '1e3', '+80', ' 80', '80.0', '65536', '0b1']) {
        const r = await cli(...command, '--port', port);
        expect(r.code, `${command[0]} --port ${JSON.stringify(port)}`).toBe(2);
        expect(r.stderr.split('\n')[0]).toContain(`--port must be a port number 0-65535, got "${port}"`);
      }
    }
  });

  it('URL flags take only http(s) URLs with a host, written out', async () => {
    for (const url of ['file:///etc/passwd', 'http:example.com', 'http:/example.com', 'http://', 'ftp://example.com', ' http://example.com', 'http://exa mple.com', 'http://example.com\t']) {
      for (const flag of ['--upstream', '--openai']) {
        const r = await cli('record', flag, url, '--port', '0');
        expect(r.code, `${flag} ${JSON.stringify(url)}`).toBe(2);
        expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^traceforge: ${flag} must be an http\\(s\\) URL with a host`));
      }
    }
  });

  it('replay of a directory, a missing file, a FIFO and a sparse 3 GB file', async () => {
    oneLineFailure(await cli('replay', 'in/a-directory.yaml', '--port', '0'), /^traceforge: cassette in\/a-directory\.yaml is a directory, not a cassette file: pass the path of a \.yaml file$/);
    oneLineFailure(await cli('replay', 'in/missing.yaml', '--port', '0'), /^traceforge: cassette in\/missing\.yaml does not exist: record it first with `traceforge record --cassette in\/missing\.yaml`$/);
    execFileSync('mkfifo', [join(project.cwd, 'in', 'fifo.yaml')]);
    oneLineFailure(await cli('replay', 'in/fifo.yaml', '--port', '0'), /^traceforge: in\/fifo\.yaml is not a regular file \(a device, FIFO or socket\)/);
    await writeFile(join(project.cwd, 'in', 'huge.yaml'), '');
    await truncate(join(project.cwd, 'in', 'huge.yaml'), 3 * 1024 ** 3);
    oneLineFailure(await cli('replay', 'in/huge.yaml', '--port', '0'), /^traceforge: in\/huge\.yaml: 3221225472 bytes is over the 268435456-byte limit for a cassette that is one YAML document \(version 1\); split it into several cassettes, or record a new one \(version 2 cassettes have no size limit\)$/);
  });

  it('replay of a corrupt cassette whose name has a newline in it: one line, file:line', async () => {
    await writeFile(join(project.cwd, 'in', 'two\nlines.yaml'), 'version: 1\ninteractions: !!js/function "x"\n');
    oneLineFailure(await cli('replay', 'in/two\nlines.yaml', '--port', '0'), /^traceforge: in\/two\\nlines\.yaml:2: YAML tag !!js\/function is not allowed in cassettes/);
  });

  it('record --cassette refuses a directory or a corrupt cassette before it listens', async () => {
    for (const [path, pattern] of [
      ['in/a-directory.yaml', /cassette in\/a-directory\.yaml is a directory/],
      ['in/two\nlines.yaml', /in\/two\\nlines\.yaml:2: YAML tag/],
    ] as const) {
      oneLineFailure(await cli('record', '--upstream', 'http://127.0.0.1:9', '--port', '0', '--cassette', path), pattern);
    }
  });

  it('record --cassette under a file instead of a directory', async () => {
    await writeFile(join(project.cwd, 'in', 'plain-file'), 'x');
    oneLineFailure(await cli('record', '--upstream', 'http://127.0.0.1:9', '--port', '0', '--cassette', 'in/plain-file/c.yaml'), /^traceforge: cassette in\/plain-file\/c\.yaml has a file where a directory should be in its path: fix the path$/);
  });
});
