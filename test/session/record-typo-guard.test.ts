import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiChatStream, splitTokens, startFakeUpstream, type FakeUpstream } from '../fakes/index.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const WORK = join(ROOT, '.tmp', `record-typo-guard-${process.pid}`);

// Outside CI (the default mode records a missing cassette), every call sent to the fake upstream.
async function vitest(upstream: string): Promise<{ code: number; out: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', TRACEFORGE_UPSTREAM: upstream };
  delete env.CI;
  delete env.TRACEFORGE_RECORD;
  try {
    const { stdout, stderr } = await run(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--root', WORK], { cwd: WORK, env });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

const spec = (useCassette: string): string => `
import { it, expect } from 'vitest';
import { useCassette } from ${JSON.stringify(join(ROOT, 'src/vitest.ts'))};
${useCassette};
it('asks', async () => {
  const res = await fetch('https://api.openai.com/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }) });
  expect(res.status).toBe(200);
  await res.text();
});
`;

describe('a new cassette outside CI, in the default record mode', () => {
  let upstream: FakeUpstream;
  let r: { code: number; out: string };
  beforeAll(async () => {
    await mkdir(join(WORK, 'fixtures'), { recursive: true });
    await writeFile(join(WORK, 'vitest.config.mjs'), "export default { test: { include: ['*.spec.ts'] } };\n");
    await writeFile(join(WORK, 'typo.spec.ts'), spec("useCassette('fixturez/app.yaml', { traces: false })"));
    await writeFile(join(WORK, 'meant.spec.ts'), spec("useCassette('fixtures/app.yaml', { traces: false })"));
    await writeFile(join(WORK, 'named.spec.ts'), spec('useCassette({ traces: false })'));
    upstream = await startFakeUpstream(openaiChatStream({ text: splitTokens('Recorded.'), gaps: 1 }));
    r = await vitest(upstream.url);
  }, 60_000);
  afterAll(async () => {
    await upstream?.close();
    await rm(WORK, { recursive: true, force: true });
  });

  it('is not recorded when its directory does not exist: one line names the path, the directory and both ways on', () => {
    expect(r.code).not.toBe(0);
    const line = r.out.split('\n').find((l) => l.includes('fixturez/app.yaml does not exist'));
    expect(line).toContain(`neither does its directory fixturez (${join(WORK, 'fixturez')})`);
    expect(line).toContain('mkdir -p fixturez');
    expect(line).toContain('TRACEFORGE_RECORD=once');
    // Two calls reached the upstream: the two cassettes that were meant; the typo's call never left.
    expect(upstream.requests).toHaveLength(2);
  });

  it('is recorded in a directory that exists, and under __cassettes__ for a cassette named after the test file, each with a summary line', async () => {
    expect(r.out).toMatch(/\d+ passed/);
    expect(r.out).toContain(`traceforge: recorded 1 call(s) into cassette fixtures/app.yaml (a new file; record mode "once"), sent to ${new URL(upstream.url).origin}`);
    const named = join(WORK, '__cassettes__', 'named.spec.yaml');
    expect(r.out).toContain(`traceforge: recorded 1 call(s) into cassette ${named} (a new file;`);
    expect(await readFile(named, 'utf8')).toContain('/v1/chat/completions');
    expect(await readFile(join(WORK, 'fixtures/app.yaml'), 'utf8')).toContain('/v1/chat/completions');
  });
});
