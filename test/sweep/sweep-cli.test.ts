/**
 * `traceforge sweep` end to end: the built bin, real replay servers on 127.0.0.1, and a sample app that
 * streams with the official openai SDK (test/sweep/fixtures/chat-app.mjs).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { emptyCassette } from '../../src/cassette/codec.js';
import { writeCassette } from '../../src/store/cassette-file.js';
import { anthropicStream, openaiChatStream, splitTokens } from '../fakes/index.js';
import { makeNonStreamTrace } from '../helpers/make-trace.js';
import { alive, BIN, startCli } from '../record/cli-process.js';
import { CHAT_REQUEST, recordScript } from '../replay/recorded.js';

const APP = resolve(import.meta.dirname, 'fixtures/chat-app.mjs');
const MESSAGES_APP = resolve(import.meta.dirname, 'fixtures/messages-app.mjs');
const TEXT = 'Streams can fail halfway, and your app should cope with that gracefully.';
let dir: string;
let chat: string;
let messages: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tf-sweep-cli-'));
  chat = join(dir, 'chat.yaml');
  const trace = await recordScript(openaiChatStream({ text: splitTokens(TEXT), gaps: 2 }), '/v1/chat/completions', CHAT_REQUEST);
  await writeCassette(chat, { ...emptyCassette(), interactions: [trace] });
  messages = join(dir, 'messages.yaml');
  const request = { model: 'claude-haiku-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'Weather in Paris?' }] };
  const script = anthropicStream({ text: 'Let me check.', toolUse: { name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } } }, { gaps: 2 });
  await writeCassette(messages, { ...emptyCassette(), interactions: [await recordScript(script, '/v1/messages', request, { 'anthropic-version': '2023-06-01' })] });
});

async function sweep(args: string[], env: Record<string, string> = {}) {
  // The app reads OPENAI_BASE_URL: it is not a useCassette suite.
  const cli = startCli(dir, ['sweep', '--base-urls', ...args], env);
  const { code } = await cli.exited;
  return { code, stdout: cli.stdout, stderr: cli.stderr };
}

interface JsonResult {
  fault: string;
  name: string;
  where: string;
  kind: string;
  position: number;
  passed: boolean;
  firstLine: string;
}
interface JsonReport {
  provider: string;
  chunks: number;
  baseline: { passed: boolean };
  results: JsonResult[];
  earliest: Record<string, { spec: string; position: number } | null>;
  failed: number;
}

describe('traceforge sweep on an app that streams with the openai SDK', () => {
  it('without retries: every drop-after and truncate-json inside the stream fails, a short stall passes', async () => {
    const r = await sweep(['--kinds', 'drop-after,truncate-json,stall', '--budget', '5', '--stall-ms', '200', '--jobs', '2', '--json', chat, '--', process.execPath, APP]);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.baseline.passed).toBe(true);
    expect(report.provider).toBe('openai');
    const of = (kind: string) => report.results.filter((x) => x.kind === kind);
    expect(of('drop-after')).toHaveLength(5);
    expect(of('truncate-json').length).toBeGreaterThanOrEqual(4);
    expect(of('stall')).toHaveLength(5);
    for (const x of [...of('drop-after'), ...of('truncate-json')]) expect(x.passed, x.name).toBe(false);
    for (const x of of('stall')) expect(x.passed, `${x.name}: ${x.firstLine}`).toBe(true);
    // The failure line is the app's own error: the SDK saw the cut connection, or JSON that does not parse.
    for (const x of of('drop-after')) expect(x.firstLine).toMatch(/^app failed: TypeError: terminated/);
    for (const x of of('truncate-json')) expect(x.firstLine).toMatch(/^app failed: SyntaxError/);
    expect(report.earliest['drop-after']).toMatchObject({ spec: 'drop-after=0@1', position: 0 });
    expect(report.earliest['stall']).toBeNull();
    expect(report.failed).toBe(of('drop-after').length + of('truncate-json').length);
    // Not a terminal: one line per finished run on stderr, the clean run first.
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^\[1\/\d+\] pass clean run \(no fault\)/);
    expect(lines.filter((l) => /^\[\d+\/\d+\] (pass|FAIL) /.test(l))).toHaveLength(report.results.length + 1);
  });

  it('with a retry of the whole call: every fault passes, each kind at every point (faults hit the first request only)', async () => {
    const r = await sweep(['--budget', '4', '--stall-ms', '200', chat, '--', process.execPath, APP], { APP_RETRIES: '2' });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^run\s+fault\s+where\s+result\s+why it failed \(the test and its error\)$/m);
    for (const kind of ['status', 'drop-after', 'truncate-json', 'error-event', 'stall']) {
      expect(r.stdout).toMatch(new RegExp(`^\\s*\\d+\\s+${kind}=\\S+\\s+.+\\s+pass$`, 'm'));
      expect(r.stdout).toMatch(new RegExp(`^  ${kind}\\s+none failed$`, 'm'));
    }
    expect(r.stdout).not.toMatch(/FAIL/);
    expect(r.stdout).toMatch(/all \d+ faults passed \(openai stream of \d+ chunks/);
    // The app did retry: its stderr (captured, not shown on success) is not in the report.
    expect(r.stdout).not.toMatch(/retrying/);
  });

  it('a stall longer than the app\'s idle timeout fails it, with the app\'s message', async () => {
    const r = await sweep(['--kinds', 'stall', '--budget', '2', '--stall-ms', '600', '--json', chat, '--', process.execPath, APP], { APP_IDLE_MS: '250' });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.results).toHaveLength(2);
    for (const x of report.results) {
      expect(x.passed).toBe(false);
      expect(x.firstLine).toMatch(/no chunk for 250 ms/);
    }
  });

  it('the same table every time', async () => {
    const args = ['--kinds', 'drop-after,error-event', '--budget', '4', '--speed', '0', chat, '--', process.execPath, APP];
    const [a, b] = [await sweep(args), await sweep([...args.slice(0, -3), '--jobs', '1', ...args.slice(-3)])];
    // Each sweep logs into a directory of its own, named for when it ran.
    const table = (s: string) => s.replace(/; [\d.]+ s with \d+ job\(s\)\)/, ')').replace(/sweeps\/[^/\s]+\/run-N/, 'sweeps/<time>/run-N');
    expect(a.code).toBe(1);
    expect(table(a.stdout)).toBe(table(b.stdout));
  });
});

describe('traceforge sweep on an app that asks Claude for a tool call (@anthropic-ai/sdk)', () => {
  it('breaks the stream between the text and tool_use blocks and inside the tool input; the SDK raises overloaded_error; a retry survives all', async () => {
    const r = await sweep([messages, '--kinds', 'error-event,truncate-json', '--budget', '6', '--speed', '0', '--json', '--', process.execPath, MESSAGES_APP]);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.provider).toBe('anthropic');
    const wheres = report.results.filter((x) => x.kind === 'error-event').map((x) => x.where);
    expect(wheres).toContain('between content blocks (text → tool_use "get_weather")');
    expect(wheres).toContain('inside tool call "get_weather" arguments');
    expect(wheres.some((w) => /right before the terminator/.test(w))).toBe(true);
    for (const x of report.results) expect(x.passed, x.name).toBe(false);
    for (const x of report.results.filter((y) => y.kind === 'error-event')) expect(x.firstLine).toMatch(/overloaded_error/);
    const retried = await sweep([messages, '--kinds', 'error-event,truncate-json,status', '--budget', '6', '--speed', '0', '--', process.execPath, MESSAGES_APP], { APP_RETRIES: '2' });
    expect(retried.code, retried.stdout).toBe(0);
  });
});

describe('traceforge sweep: hangs and interruptions', () => {
  it('a command still running after --timeout is killed and reported as timed out', async () => {
    const r = await sweep([chat, '--kinds', 'stall', '--budget', '1', '--stall-ms', '60000', '--timeout', '5000', '--json', '--', process.execPath, APP]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as JsonReport & { results: Array<{ timedOut: boolean }> };
    expect(report.results).toHaveLength(1);
    expect(report.results[0]).toMatchObject({ passed: false, timedOut: true, firstLine: 'timed out after 5000 ms (killed)' });
  });

  it('SIGINT stops the sweep (exit 130) and kills the commands still running', async () => {
    const pids = await mkdtemp(join(tmpdir(), 'tf-sweep-pids-'));
    const cli = startCli(dir, ['sweep', '--base-urls', chat, '--kinds', 'stall', '--budget', '4', '--stall-ms', '60000', '--jobs', '2', '--', process.execPath, APP], { APP_PID_DIR: pids });
    await cli.waitFor(/\[1\/\d+\] pass clean run/);
    // The clean run and two stalled runs have started.
    for (let i = 0; i < 200 && readdirSync(pids).length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(pids)).toHaveLength(3);
    cli.child.kill('SIGINT');
    const { code } = await cli.exited;
    expect(code, cli.stderr).toBe(130);
    expect(cli.stderr).toMatch(/sweep interrupted: 0 fault run\(s\) had finished/);
    for (const pid of readdirSync(pids)) expect(alive(Number(pid)), `app ${pid}`).toBe(false);
  });
});

const hasScript = /util-linux/.test(spawnSync('script', ['--version'], { encoding: 'utf8' }).stdout ?? '');

describe.runIf(hasScript)('traceforge sweep on a terminal (util-linux script)', () => {
  it('keeps one progress line on stderr instead of a line per run, then prints the table', async () => {
    const cmd = `exec "${process.execPath}" "${BIN}" sweep "${chat}" --base-urls --kinds drop-after --budget 2 --speed 0 -- "${process.execPath}" "${APP}"`;
    const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', TERM: 'xterm-256color' }, timeout: 60_000 });
    const out = r.stdout;
    expect(out).toMatch(/\r\u001b\[2Ksweep \d+\/3 done, \d+ running, \d+ failed/);
    expect(out).not.toMatch(/\[1\/3\] pass clean run/);
    expect(out).toMatch(/^\s*1\s+drop-after=0\s+before the first byte\s+FAIL\s+app failed: TypeError: terminated/m);
    expect(out).toMatch(/2 of 2 faults failed/);
  });
});

describe('traceforge sweep usage', () => {
  it('exits 2 without `--`, with nothing after it, with unknown kinds, or on a cassette that never streamed', async () => {
    const noDash = await sweep([chat]);
    expect(noDash.code).toBe(2);
    expect(noDash.stderr).toMatch(/the command to sweep goes after `--`/);
    const nothing = await sweep([chat, '--']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/(nothing|no command) after `--`/);
    const kinds = await sweep(['--kinds', 'drop-after,meteor', chat, '--', process.execPath, APP]);
    expect(kinds.code).toBe(2);
    expect(kinds.stderr).toMatch(/unknown fault kind "meteor": use a comma-separated list of status, drop-after, truncate-json, error-event, stall/);
    const plain = join(dir, 'plain.yaml');
    await writeCassette(plain, { ...emptyCassette(), interactions: [makeNonStreamTrace()] });
    const noStream = await sweep([plain, '--', process.execPath, APP]);
    expect(noStream.code).toBe(2);
    expect(noStream.stderr).toMatch(/has no streamed interaction/);
    const budget = await sweep(['--budget', '0', chat, '--', process.execPath, APP]);
    expect(budget.code).toBe(2);
  });

  it('stops with exit 1 when the command fails without any fault, showing its output', async () => {
    const script = join(dir, 'broken.mjs');
    await writeFile(script, "console.error('config missing: CHAT_MODEL'); process.exit(3);\n");
    const r = await sweep([chat, '--', process.execPath, script]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the command fails without any fault \(exit code 3\)/);
    expect(r.stderr).toMatch(/config missing: CHAT_MODEL/);
    expect(r.stdout).toBe('');
    // Only the clean run ran.
    expect(r.stderr.match(/^\[\d+\/\d+\]/gm)).toHaveLength(1);
  });
});
