import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildChildEnv, proxyEnvVars } from '../../src/record/child-env.js';

describe('child environment', () => {
  it('points every SDK base URL at the proxy; no proxy variables without HTTPS interception', () => {
    const vars = proxyEnvVars({ proxyUrl: 'http://127.0.0.1:4321/' });
    expect(vars).toEqual({
      OPENAI_BASE_URL: 'http://127.0.0.1:4321/v1',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:4321',
      OLLAMA_HOST: 'http://127.0.0.1:4321',
      GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:4321',
      TRACEFORGE_PROXY_URL: 'http://127.0.0.1:4321',
    });
  });

  it('with a CA, adds HTTP(S)_PROXY in both cases and NODE_EXTRA_CA_CERTS', () => {
    const vars = proxyEnvVars({ proxyUrl: 'http://127.0.0.1:4321', caCertPath: '/x/ca.pem' });
    expect(vars).toMatchObject({ HTTPS_PROXY: 'http://127.0.0.1:4321', https_proxy: 'http://127.0.0.1:4321', HTTP_PROXY: 'http://127.0.0.1:4321', http_proxy: 'http://127.0.0.1:4321', NODE_EXTRA_CA_CERTS: '/x/ca.pem' });
  });

  it('keeps the rest of the environment and overrides stale base URLs', async () => {
    const env = await buildChildEnv({ proxyUrl: 'http://127.0.0.1:1', base: { PATH: '/bin', OPENAI_BASE_URL: 'https://api.openai.com/v1' } });
    expect(env.PATH).toBe('/bin');
    expect(env.OPENAI_BASE_URL).toBe('http://127.0.0.1:1/v1');
  });

  it('bundles a NODE_EXTRA_CA_CERTS the user already had with the interception CA', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tf-env-'));
    await writeFile(join(dir, 'ca.pem'), 'OURS\n');
    await writeFile(join(dir, 'corp.pem'), 'THEIRS\n');
    const env = await buildChildEnv({ proxyUrl: 'http://127.0.0.1:1', caCertPath: join(dir, 'ca.pem'), base: { NODE_EXTRA_CA_CERTS: join(dir, 'corp.pem') } });
    expect(env.NODE_EXTRA_CA_CERTS).toBe(join(dir, 'bundle.pem'));
    expect(await readFile(join(dir, 'bundle.pem'), 'utf8')).toBe('THEIRS\nOURS\n');
  });
});
