import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCassette } from '../../src/store/cassette-file.js';
import { anthropicStream, geminiStream, ollamaChatStream, openaiChatStream, startFakeUpstream, type FakeUpstream } from '../fakes/index.js';
import { alive, BIN, FIXTURES, startCli } from '../record/cli-process.js';
import { startTlsFront, type TlsFront } from '../record/tls-front.js';

const KEYS = { OPENAI_API_KEY: 'sk-child-test-key-0000000000000000', ANTHROPIC_API_KEY: 'sk-ant-child-test-key-000000000000', GEMINI_API_KEY: 'AIzaChildTestKey000000000000' };

describe('traceforge record (built bin)', () => {
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

  it('-- cmd: runs the app against the proxy, saves its traces and cassette, exits with its code', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-rec-child-'));
    const run = startCli(cwd, ['record', ...providerFlags, '--cassette', 'fixtures/mixed.yaml', '--', process.execPath, join(FIXTURES, 'child-app.mjs')], KEYS);
    const { code } = await run.exited;
    expect(code).toBe(3);
    // The app's stdout is its own; the recorder talks on stderr.
    expect(JSON.parse(run.stdout.trim())).toEqual({ openai: 'child openai', anthropic: 'child anthropic', ollama: 'child ollama', gemini: 'child gemini' });
    expect(run.stderr).toMatch(/TraceForge recording http:\/\/127\.0\.0\.1:\d+/);
    expect(run.stderr).toContain('stopped: 4 call(s) recorded;');
    expect(run.stderr).toContain('exited with code 3');
    const traces = (await readdir(join(cwd, '.ai-tests', 'traces'))).filter((f) => f.endsWith('.json'));
    expect(traces).toHaveLength(4);
    const cassette = await loadCassette(join(cwd, 'fixtures', 'mixed.yaml'));
    expect(cassette.interactions.map((t) => t.metadata.provider)).toEqual(['openai', 'anthropic', 'ollama', 'gemini']);
    const onDisk = await Promise.all(traces.map((f) => readFile(join(cwd, '.ai-tests', 'traces', f), 'utf8')));
    for (const key of Object.values(KEYS)) expect(onDisk.join('\n')).not.toContain(key);
    expect(fakes.openai!.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEYS.OPENAI_API_KEY}`);
  });

  it('Ctrl-C stops the command and the recorder; the exit code says it was interrupted', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-rec-int-'));
    const run = startCli(cwd, ['record', '--', process.execPath, join(FIXTURES, 'wait-app.mjs')]);
    const pid = Number((await run.waitFor(/ready (\d+)/))[1]);
    expect(alive(pid)).toBe(true);
    run.child.kill('SIGINT');
    const { code } = await run.exited;
    expect(code).toBe(130);
    expect(alive(pid)).toBe(false);
    expect(run.stderr).toContain('was stopped by SIGINT');
  });

  it('without a command: routes by provider until SIGINT, then flushes and exits 0', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-rec-srv-'));
    const run = startCli(cwd, ['record', '--port', '0', ...providerFlags]);
    const url = (await run.waitFor(/recording (http:\S+)/))[1]!;
    expect(run.stdout).toMatch(new RegExp(`ollama -> ${fakes.ollama!.url}`));
    const res = await fetch(`${url}/api/chat`, { method: 'POST', body: '{"model":"llama3.2","messages":[]}' });
    expect(await res.text()).toContain('"content":" ollama"');
    await run.waitFor(/● POST \/api\/chat -> 200/);
    run.child.kill('SIGINT');
    expect((await run.exited).code).toBe(0);
    expect(run.stdout).toContain('stopped: 1 call(s) recorded');
  });

  it.each([
    [[] as string[], false],
    [['--debug'], true],
  ])('a call the app aborts is recorded, and mockttp says nothing on the terminal unless --debug (%j)', async (flags, noisy) => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-rec-abort-'));
    const slow = await startFakeUpstream(openaiChatStream({ text: 'a slow answer that will be cut off', gaps: 200 }));
    try {
      const run = startCli(cwd, ['record', '--port', '0', '--upstream', slow.url, ...flags]);
      const url = (await run.waitFor(/recording (http:\S+)/))[1]!;
      const controller = new AbortController();
      const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"m","stream":true}', signal: controller.signal });
      const reader = res.body!.getReader();
      await reader.read();
      controller.abort();
      await run.waitFor(/● POST \/v1\/chat\/completions -> 200/);
      run.child.kill('SIGINT');
      expect((await run.exited).code).toBe(0);
      const files = (await readdir(join(cwd, '.ai-tests', 'traces'))).filter((f) => f.endsWith('.json'));
      expect(files).toHaveLength(1);
      expect(JSON.parse(await readFile(join(cwd, '.ai-tests', 'traces', files[0]!), 'utf8')).http.outcome).toBe('client_aborted');
      expect(/Failed to handle request|Response error:/.test(run.stdout + run.stderr)).toBe(noisy);
    } finally {
      await slow.close();
    }
  });

  it('usage errors: a bad provider URL, --upstream with a provider URL, a command that does not exist', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-rec-bad-'));
    // Independent processes: run them side by side.
    const bad = startCli(cwd, ['record', '--openai', 'not a url']);
    const both = startCli(cwd, ['record', '--upstream', 'http://127.0.0.1:9', '--ollama', 'http://127.0.0.1:8']);
    const missing = startCli(cwd, ['record', '--', 'traceforge-no-such-command-xyz']);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr).toContain('--openai must be an http(s) URL');
    expect((await both.exited).code).toBe(2);
    expect(both.stderr).toContain('--upstream sends every call to one place, so --ollama would be ignored');
    expect((await missing.exited).code).toBe(2);
    expect(missing.stderr).toContain('could not run `traceforge-no-such-command-xyz`: command not found');
  });
});

describe('traceforge record --https-proxy (built bin)', () => {
  let fake: FakeUpstream;
  let front: TlsFront;
  let upstreamCA: string;

  beforeAll(async () => {
    fake = await startFakeUpstream(openaiChatStream({ text: 'over https', gaps: 1 }));
    front = await startTlsFront(fake.url);
    upstreamCA = join(await mkdtemp(join(tmpdir(), 'tf-upca-')), 'upstream-ca.pem');
    await writeFile(upstreamCA, front.caCert);
  });
  afterAll(async () => {
    await front.close();
    await fake.close();
  });

  it('records an app that calls https://api.openai.com itself, through HTTPS_PROXY and the generated CA', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-rec-https-'));
    // The recorder trusts the local HTTPS upstream through NODE_EXTRA_CA_CERTS; the app gets a bundle of that and our CA.
    const run = startCli(cwd, ['record', '--https-proxy', '--openai', front.url, '--', process.execPath, join(FIXTURES, 'https-app.mjs')], { ...KEYS, NODE_EXTRA_CA_CERTS: upstreamCA });
    const { code } = await run.exited;
    expect(run.stderr).not.toContain('Error');
    expect(code).toBe(0);
    expect(run.stdout.trim()).toBe('over https');
    expect(run.stderr).toMatch(/https: +intercepting HTTPS_PROXY=http:\/\/127\.0\.0\.1:\d+ with CA \.ai-tests\/ca\/ca\.pem \(new\)/);
    expect(await readFile(join(cwd, '.ai-tests', 'ca', '.gitignore'), 'utf8')).toContain('*');
    const [file] = await readdir(join(cwd, '.ai-tests', 'traces'));
    const trace = JSON.parse(await readFile(join(cwd, '.ai-tests', 'traces', file!), 'utf8')) as { endpoint: string; metadata: { upstream: string; provider: string } };
    expect(trace).toMatchObject({ endpoint: '/v1/chat/completions', metadata: { provider: 'openai', upstream: front.url } });
  });
});
