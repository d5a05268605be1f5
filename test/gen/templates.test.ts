import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTraceForgeError } from '../../src/errors.js';
import { listTemplates, pickTemplate, USER_TEMPLATES_DIR } from '../../src/gen/templates.js';
import type { Provider, Trace } from '../../src/trace/types.js';
import { makeAnthropicStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'tf-tpl-'));
});
afterEach(() => rm(cwd, { recursive: true, force: true }));

function traceAt(provider: Provider, endpoint: string): Trace {
  const t = makeOpenAIStreamTrace({ id: `t-${provider}` });
  t.metadata.provider = provider;
  t.endpoint = endpoint;
  t.http.url = endpoint;
  return t;
}

async function failure(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isTraceForgeError(e) && e.code).toBe('E_GEN');
  return (e as Error).message;
}

const userTemplate = (name: string, text: string) =>
  mkdir(join(cwd, USER_TEMPLATES_DIR), { recursive: true }).then(() => writeFile(join(cwd, USER_TEMPLATES_DIR, `${name}.test.ts.tpl`), text));

describe('pickTemplate', () => {
  it('chooses by provider: the SDK templates for their APIs, fetch for Ollama and Gemini', async () => {
    const pick = async (p: Provider, endpoint: string) => (await pickTemplate(traceAt(p, endpoint), cwd)).name;
    expect(await pick('openai', '/v1/chat/completions')).toBe('openai');
    expect(await pick('openai-responses', '/v1/responses')).toBe('openai-responses');
    expect(await pick('anthropic', '/v1/messages')).toBe('anthropic');
    expect(await pick('ollama', '/api/chat')).toBe('fetch');
    expect(await pick('gemini', '/v1beta/models/gemini-2.0-flash:streamGenerateContent')).toBe('fetch');
  });

  it('refuses a trace no template fits and suggests --template fetch', async () => {
    expect(await failure(pickTemplate(traceAt('unknown', '/stream'), cwd))).toBe(
      'no template fits trace t-unknown (an unknown provider at POST /stream): use --template fetch for a plain HTTP test',
    );
    // An OpenAI stream that is not a chat completion: the chat SDK template would call the wrong path.
    expect(await failure(pickTemplate(traceAt('openai', '/v1/completions'), cwd))).toContain('use --template fetch');
    expect((await pickTemplate(traceAt('unknown', '/stream'), cwd, 'fetch')).name).toBe('fetch');
  });

  it('refuses an explicit template whose SDK calls another path', async () => {
    expect(await failure(pickTemplate(makeAnthropicStreamTrace({ id: 'a1' }), cwd, 'openai'))).toBe(
      'template "openai" calls /chat/completions, but trace a1 was recorded at /v1/messages: pick another with --template (for example fetch)',
    );
  });

  it('names the available templates when asked for one that does not exist', async () => {
    expect(await failure(pickTemplate(makeOpenAIStreamTrace(), cwd, 'jest'))).toBe(
      `no template named "jest": available are anthropic, fetch, openai, openai-responses; add your own as ${join(USER_TEMPLATES_DIR, 'jest.test.ts.tpl')}`,
    );
  });

  it('lets the project override a built-in template and add one for a provider', async () => {
    await userTemplate('openai', '{{!\n  providers: openai\n  path: /chat/completions\n}}\nmine');
    await userTemplate('ollama-sdk', '{{!\n  providers: ollama\n}}\nollama');
    const list = await listTemplates(cwd);
    expect(list.map((t) => `${t.origin}:${t.name}`)).toEqual(['project:ollama-sdk', 'project:openai', 'built-in:anthropic', 'built-in:fetch', 'built-in:openai-responses']);
    const openai = await pickTemplate(traceAt('openai', '/v1/chat/completions'), cwd);
    expect([openai.origin, openai.text.trim().endsWith('mine')]).toEqual(['project', true]);
    expect((await pickTemplate(traceAt('ollama', '/api/chat'), cwd)).name).toBe('ollama-sdk');
    // A template without `providers:` is only used when named.
    await userTemplate('plain', 'x');
    expect((await pickTemplate(traceAt('unknown', '/x'), cwd, 'plain')).origin).toBe('project');
  });
});
