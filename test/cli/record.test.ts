/**
 * `traceforge record` in-process: main() runs the recorder in this process (the app after `--` is still
 * a real child process), and interrupt() is the Ctrl-C. The two cases that need a process of their own,
 * a real SIGINT and a CA read at start-up, are in bin.test.ts.
 */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadCassette } from '../../src/store/cassette-file.js';
import { anthropicStream, geminiStream, ollamaChatStream, openaiChatStream, startFakeUpstream, type FakeUpstream } from '../fakes/index.js';
import { runMain, startMain } from '../helpers/run-main.js';
import { FIXTURES } from '../record/cli-process.js';

const KEYS = { OPENAI_API_KEY: 'sk-child-test-key-0000000000000000', ANTHROPIC_API_KEY: 'sk-ant-child-test-key-000000000000', GEMINI_API_KEY: 'AIzaChildTestKey000000000000' };
// What a developer's shell may have set, which the recorded app must not inherit from the test run.
const NO_PROXY_VARS = Object.fromEntries(['OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'OLLAMA_HOST', 'HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy', 'NODE_EXTRA_CA_CERTS'].map((k) => [k, undefined]));

describe('traceforge record', () => {
  const fakes: Record<string, FakeUpstream> = {};
  let providerFlags: string[] = [];

  beforeAll(async () => {
    fakes.openai = await startFakeUpstream(openaiChatStream({ text: 'child openai', gaps: 1 }));
    fakes.anthropic = await startFakeUpstream(anthropicStream({ text: 'child anthropic' }, { gaps: 1 }));
    fakes.ollama = await startFakeUpstream(ollamaChatStream({ text: 'child ollama', gaps: 1 }));
    fakes.gemini = await startFakeUpstream(geminiStream({ text: 'child gemini', gaps: 1 }));
    providerFlags = Object.entries(fakes).flatMap(([p, f]) => [`--${p}`, f.url]);
  });
  afterAll(async () => {
    for (const f of Object.values(fakes)) await f.close();
  });

  it('-- cmd: runs the app against the proxy, saves its traces and cassette, returns its exit code', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-rec-child-'));
    // The app inherits the real stdout; the shell sends it to a file this test can read.
    const app = ['sh', '-c', 'exec "$0" "$1" > app-stdout.json', process.execPath, join(FIXTURES, 'child-app.mjs')];
    const r = await runMain(['record', ...providerFlags, '--cassette', 'fixtures/mixed.yaml', '--', ...app], { cwd, env: { ...KEYS, ...NO_PROXY_VARS } });
    expect(r.code).toBe(3);
    expect(JSON.parse(await readFile(join(cwd, 'app-stdout.json'), 'utf8'))).toEqual({ openai: 'child openai', anthropic: 'child anthropic', ollama: 'child ollama', gemini: 'child gemini' });
    // The app owns stdout; the recorder talks on stderr.
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/TraceForge recording http:\/\/127\.0\.0\.1:\d+/);
    expect(r.stderr).toContain('stopped: 4 call(s) recorded;');
    expect(r.stderr).toContain('exited with code 3');
    const traces = (await readdir(join(cwd, '.ai-tests', 'traces'))).filter((f) => f.endsWith('.json'));
    expect(traces).toHaveLength(4);
    const cassette = await loadCassette(join(cwd, 'fixtures', 'mixed.yaml'));
    expect(cassette.interactions.map((t) => t.metadata.provider)).toEqual(['openai', 'anthropic', 'ollama', 'gemini']);
    const onDisk = await Promise.all(traces.map((f) => readFile(join(cwd, '.ai-tests', 'traces', f), 'utf8')));
    for (const key of Object.values(KEYS)) expect(onDisk.join('\n')).not.toContain(key);
    expect(fakes.openai!.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEYS.OPENAI_API_KEY}`);
  });

  it("-- cmd: an interrupt of main() reaches the command too (the io's, not only the process's signals)", async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-rec-child-int-'));
    const app = ['sh', '-c', 'exec "$0" "$1" > app-stdout.txt', process.execPath, join(FIXTURES, 'wait-app.mjs')];
    const run = startMain(['record', '--upstream', fakes.openai!.url, '--', ...app], { cwd });
    await run.waitFor(/running:/);
    let pid = 0;
    for (let i = 0; i < 500 && !pid; i++) {
      pid = Number(/ready (\d+)/.exec(await readFile(join(cwd, 'app-stdout.txt'), 'utf8').catch(() => ''))?.[1] ?? 0);
      if (!pid) await new Promise((r) => setTimeout(r, 10));
    }
    expect(pid).toBeGreaterThan(0);
    run.interrupt();
    const r = await run.exited;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('was stopped by SIGINT');
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('without a command: routes by provider until interrupted, then flushes and returns 0', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-rec-srv-'));
    const run = startMain(['record', '--port', '0', ...providerFlags], { cwd });
    const url = (await run.waitFor(/recording (http:\S+)/))[1]!;
    expect(run.stdout).toMatch(new RegExp(`ollama -> ${fakes.ollama!.url}`));
    const res = await fetch(`${url}/api/chat`, { method: 'POST', body: '{"model":"llama3.2","messages":[]}' });
    expect(await res.text()).toContain('"content":" ollama"');
    await run.waitFor(/● POST \/api\/chat -> 200/);
    run.interrupt();
    const r = await run.exited;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('stopped: 1 call(s) recorded');
  });

  it.each([
    [[] as string[], false],
    [['--debug'], true],
  ])('a call the app aborts is recorded, and mockttp says nothing on the terminal unless --debug (%j)', async (flags, noisy) => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-rec-abort-'));
    const slow = await startFakeUpstream(openaiChatStream({ text: 'a slow answer that will be cut off', gaps: 200 }));
    // mockttp logs from the proxy thread, whose console is piped to this process's own streams.
    let terminal = '';
    const spies = [process.stdout, process.stderr].map((s) =>
      vi.spyOn(s, 'write').mockImplementation((chunk: string | Uint8Array) => {
        terminal += String(chunk);
        return true;
      }),
    );
    try {
      const run = startMain(['record', '--port', '0', '--upstream', slow.url, ...flags], { cwd });
      const url = (await run.waitFor(/recording (http:\S+)/))[1]!;
      const controller = new AbortController();
      const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"m","stream":true}', signal: controller.signal });
      const reader = res.body!.getReader();
      await reader.read();
      controller.abort();
      await run.waitFor(/● POST \/v1\/chat\/completions -> 200/);
      run.interrupt();
      const r = await run.exited;
      expect(r.code).toBe(0);
      const files = (await readdir(join(cwd, '.ai-tests', 'traces'))).filter((f) => f.endsWith('.json'));
      expect(files).toHaveLength(1);
      expect(JSON.parse(await readFile(join(cwd, '.ai-tests', 'traces', files[0]!), 'utf8')).http.outcome).toBe('client_aborted');
      const noise = () => /Failed to handle request|Response error:/.test(r.stdout + r.stderr + terminal);
      // The thread's console reaches this process through a stream: give its last lines a moment to arrive.
      if (noisy) await vi.waitFor(() => expect(noise()).toBe(true), { timeout: 2000 });
      else expect(noise()).toBe(false);
    } finally {
      for (const s of spies) s.mockRestore();
      await slow.close();
    }
  });

  it('usage errors: a bad provider URL, --upstream with a provider URL, a command that does not exist', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-rec-bad-'));
    const [bad, both, missing] = await Promise.all([
      runMain(['record', '--openai', 'not a url'], { cwd }),
      runMain(['record', '--upstream', 'http://127.0.0.1:9', '--ollama', 'http://127.0.0.1:8'], { cwd }),
      runMain(['record', '--', 'traceforge-no-such-command-xyz'], { cwd }),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--openai must be an http(s) URL');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--upstream sends every call to one place, so --ollama would be ignored');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('could not run `traceforge-no-such-command-xyz`: command not found');
  });
});
