import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCassette } from '../../src/session.js';
import { openaiChatStream, splitTokens, startFakeUpstream } from '../fakes/index.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const WORK = join(ROOT, '.tmp', `use-cassette-${process.pid}`);

/** Runs a real vitest on a spec that uses useCassette, the way a user's suite would. */
async function vitest(spec: string, args: string[] = []): Promise<{ code: number; out: string }> {
  await writeFile(join(WORK, 'case.spec.ts'), spec);
  try {
    const { stdout, stderr } = await run(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--root', WORK, ...args], { cwd: WORK, env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

const header = `
import OpenAI from 'openai';
import { it, expect } from 'vitest';
import { useCassette } from ${JSON.stringify(join(ROOT, 'src/vitest.ts'))};
const cassette = useCassette('chat.yaml', { speed: 0 });
async function ask(content: string) {
  const client = new OpenAI({ baseURL: cassette.url + '/v1', apiKey: 'test', maxRetries: 0 });
  let text = '';
  for await (const c of await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content }] })) text += c.choices[0]?.delta?.content ?? '';
  return text;
}
`;

describe('useCassette in a real vitest run', () => {
  beforeAll(async () => {
    await mkdir(WORK, { recursive: true });
    await writeFile(join(WORK, 'vitest.config.mjs'), "export default { test: { include: ['*.spec.ts'] } };\n");
    const upstream = await startFakeUpstream(openaiChatStream({ text: splitTokens('Replayed from the cassette.'), gaps: 1 }));
    const s = await openCassette(join(WORK, 'chat.yaml'), { mode: 'once', upstream: upstream.url, env: {} });
    const client = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }) });
    await client.text();
    await s.close();
    await upstream.close();
  }, 60_000);
  afterAll(() => rm(WORK, { recursive: true, force: true }));

  it('serves the cassette to the SDK under CI with no upstream', async () => {
    const r = await vitest(`${header}\nit('answers', async () => { expect(await ask('hi')).toBe('Replayed from the cassette.'); });\n`);
    expect(r.out).toContain('1 passed');
    expect(r.code).toBe(0);
  }, 60_000);

  it("opens and closes the cassette under a hook timeout of its own, not the runner's (jest's 5 s is too short for a recorder at load 8)", async () => {
    // A 1 ms hook timeout stands for a machine too busy to start a thread within the runner's default.
    const r = await vitest(`${header}\nit('answers', async () => { expect(await ask('hi')).toBe('Replayed from the cassette.'); });\n`, ['--hookTimeout=1']);
    expect(r.out).not.toContain('Hook timed out');
    expect(r.out).toContain('1 passed');
    expect(r.code).toBe(0);
  }, 60_000);

  it('fails the test that made an unmatched request, naming what differed', async () => {
    const r = await vitest(`${header}\nit('asks something new', async () => { await ask('hello?').catch(() => {}); });\n`);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('matched no recording');
    expect(r.out).toContain('body.messages[0].content: recorded "hi", received "hello?"');
  }, 60_000);
});
