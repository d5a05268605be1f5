/**
 * Smoke tests of the built bin (dist/cli/bin.js), as a user runs it: the behaviour is tested in-process
 * against src/ (the other files here); these check the build and what only a process of its own has,
 * real signals and a CA read at start-up. test/global-setup.ts builds dist/ when src/ is newer.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiChatStream, startFakeUpstream, type FakeUpstream } from '../fakes/index.js';
import { alive, FIXTURES, startCli } from '../record/cli-process.js';
import { startTlsFront, type TlsFront } from '../record/tls-front.js';
import { BIN, runCli } from './trace-cli-helpers.js';

// Fail, never skip: a missing build must not pass as "nothing to test".
beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: the build failed or did not run (test/global-setup.ts runs \`npm run build\` when src/ is newer); run it and fix what it reports`);
});

describe('the built bin', () => {
  it('--help prints the top-level help', async () => {
    const r = await runCli(tmpdir(), ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(await readFile(join(import.meta.dirname, 'help', 'traceforge.txt'), 'utf8'));
  });

  it('a usage error is one line, a pointer to the help, and exit code 2', async () => {
    const r = await runCli(tmpdir(), ['recrod']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('traceforge: unknown command "recrod"; did you mean "record"?\nRun `traceforge --help` for usage.\n');
  });

  it('Ctrl-C stops record -- cmd and the command; the exit code says it was interrupted', async () => {
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
});

describe('record --https-proxy, built', () => {
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
    // The recorder trusts the local HTTPS upstream through NODE_EXTRA_CA_CERTS, which Node reads only at
    // start-up (hence a process of its own); the app gets a bundle of that and our CA.
    const run = startCli(cwd, ['record', '--https-proxy', '--openai', front.url, '--', process.execPath, join(FIXTURES, 'https-app.mjs')], {
      OPENAI_API_KEY: 'sk-child-test-key-0000000000000000',
      NODE_EXTRA_CA_CERTS: upstreamCA,
    });
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
