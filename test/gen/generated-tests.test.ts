import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../cli/trace-cli-helpers.js';
import { recordTraces, type RecordedTraces } from './record-traces.js';
import { REPO, run, runVitest } from './vitest-runner.js';

// Inside the repo (in gitignored .tmp/) so `traceforge/vitest` resolves to this package by its own name.
let project: string;
let traces: RecordedTraces;
const generated: Record<string, string> = {};

beforeAll(async () => {
  await mkdir(join(REPO, '.tmp'), { recursive: true });
  project = await mkdtemp(join(REPO, '.tmp', 'gen-e2e-'));
  await writeFile(join(project, 'vitest.config.mjs'), "export default { test: { include: ['test/**/*.test.ts'] } };\n");
  traces = await recordTraces(join(project, '.ai-tests', 'traces'));
  const results: Array<readonly [string, Awaited<ReturnType<typeof runCli>>]> = await Promise.all(
    Object.entries(traces).map(async ([name, trace]) => {
      const r = await runCli(project, ['gen', trace.id, ...(name === 'paced' ? ['--timing', 'recorded'] : [])], { NO_COLOR: '1' });
      return [name, r] as const;
    }),
  );
  // The plain-fetch template on an SSE stream too (its NDJSON reader is covered by Ollama's trace).
  results.push(['chatFetch', await runCli(project, ['gen', traces.chat.id, '--template', 'fetch', '--out', 'test/capital-fetch.test.ts', '--cassette', 'fixtures/capital-fetch.yaml'], { NO_COLOR: '1' })]);
  for (const [name, r] of results) {
    if (r.code !== 0) throw new Error(`gen ${name} failed: ${r.stderr}`);
    generated[name] = /^wrote (test\/\S+\.test\.ts)/m.exec(r.stdout)![1]!;
  }
});
afterAll(() => rm(project, { recursive: true, force: true }));

describe('generated tests, run by vitest', () => {
  it('uses the template of each recorded provider', async () => {
    const imports = async (name: keyof RecordedTraces | 'chatFetch') => readFile(join(project, generated[name]!), 'utf8');
    expect(await imports('chat')).toContain("import OpenAI from 'openai';");
    expect(await imports('responses')).toContain('openai.responses.stream(');
    expect(await imports('anthropic')).toContain("import Anthropic from '@anthropic-ai/sdk';");
    expect(await imports('ollama')).toContain('fetch(`${cassette.url}/api/chat`');
    expect(await imports('tools')).toContain("{ name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } }");
    expect(await imports('paced')).toContain("useCassette(fixture, { clock: 'virtual' })");
    // The key is left out: the replay ignores credential parameters, and the recording has none.
    expect(await imports('gemini')).toContain('fetch(`${cassette.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`');
    expect(await imports('gemini')).toContain("{ name: 'paint', arguments: { colour: 'red' } }");
    expect(await imports('chatFetch')).toContain('function parseEvent(block: string)');
    expect(BIN).toMatch(/dist\/cli\/bin\.js$/);
  });

  it('pass against their cassettes, the paced one at the recorded times on the virtual clock', async () => {
    // No retries: the paced test's times are the virtual clock's, which the load of this suite cannot bend.
    const r = await runVitest(project);
    expect(r.output).toMatch(/Tests\s+8 passed \(8\)/);
    expect(r.code).toBe(0);
  });

  it('typecheck under strict settings, as hand-written tests would', async () => {
    const compilerOptions = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noUnusedLocals: true, noUncheckedIndexedAccess: true, noEmit: true, skipLibCheck: true, types: ['node'] };
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['test'] }));
    const r = await run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', '.'], project);
    expect(r.output).toBe('');
    expect(r.code).toBe(0);
  });

  it('fail on timing when the replayed stream is slower than the recording, naming the exact figure', async () => {
    const cassette = join(project, 'fixtures', 'count-to-five.yaml');
    const yaml = await readFile(cassette, 'utf8');
    // Hold the last chunk back 300 ms: the first chunk still comes at its recorded time, the end 300 ms late.
    const lastGap = [...yaml.matchAll(/^(\s+- delta_ms: )([\d.]+)$/gm)].at(-1)!;
    await writeFile(cassette, `${yaml.slice(0, lastGap.index)}${lastGap[1]}${Number(lastGap[2]) + 300}${yaml.slice(lastGap.index + lastGap[0].length)}`);
    const end = Number(/const RECORDED_END_MS = ([\d.]+);/.exec(await readFile(join(project, generated.paced!), 'utf8'))![1]);

    const r = await runVitest(project, [generated.paced!]);
    expect(r.code).toBe(1);
    const failure = /AssertionError: time to the end of the stream \(ms\): expected ([\d.]+) to be less than or equal to ([\d.]+)/.exec(r.output);
    expect(failure, r.output).not.toBeNull();
    expect(Math.abs(Number(failure![1]) - (end + 300))).toBeLessThan(0.01);
    expect(Number(failure![2])).toBeCloseTo(end + 0.01, 6);
  });

  it('fail with a readable diff when one recorded token changes', async () => {
    const cassette = join(project, 'fixtures', 'what-is-the-capital-of-france.yaml');
    const yaml = await readFile(cassette, 'utf8');
    // Only the bytes on the wire: the frame's raw SSE line, not the parsed copy beside it.
    const tampered = yaml.replace(/^(\s+raw: \|\+?\n\s+data: \{.*)"content":" Paris\."/m, '$1"content":" Lyon."');
    expect(tampered).not.toBe(yaml);
    await writeFile(cassette, tampered);

    const r = await runVitest(project, [generated.chat!]);
    expect(r.code).toBe(1);
    expect(r.output).toContain('answers "What is the capital of France?"');
    expect(r.output).toContain('Expected: "The capital of France is Paris."');
    expect(r.output).toContain('Received: "The capital of France is Lyon."');
    // It points at the text assertion in the generated file.
    expect(r.output).toMatch(/❯ test\/what-is-the-capital-of-france\.test\.ts:\d+:\d+\n(?:.*\n){0,3}.*\|\s+expect\(text\)\.toBe\('The capital of France is Paris\.'\);\n\s+\|\s+\^/);
  });
});
