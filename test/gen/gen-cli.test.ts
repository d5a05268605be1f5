import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trace } from '../../src/trace/types.js';
import { projectWith, runCli, type CliResult } from '../cli/trace-cli-helpers.js';
import { makeNonStreamTrace, makeOpenAIStreamTrace } from '../helpers/make-trace.js';

function unknownProviderTrace(): Trace {
  const t = makeOpenAIStreamTrace({ id: 'zz1custom' });
  t.endpoint = '/generate/stream';
  t.http.url = t.endpoint;
  t.metadata.provider = 'unknown';
  return t;
}

let project: Awaited<ReturnType<typeof projectWith>>;
beforeAll(async () => {
  project = await projectWith([
    makeOpenAIStreamTrace({ id: 'abc123paris', messages: [{ role: 'user', content: 'What is the capital of France?' }], text: 'Paris.' }),
    makeOpenAIStreamTrace({ id: 'abc999other', timestamp: '2026-01-01T00:00:00.000Z' }),
    makeNonStreamTrace({ id: 'nn1plain' }),
    unknownProviderTrace(),
  ]);
});
afterAll(() => project.cleanup());

const gen = (...args: string[]) => runCli(project.cwd, ['gen', ...args], { NO_COLOR: '1' });
/** The project's files apart from its traces. */
const written = async () => (await readdir(project.cwd, { recursive: true })).filter((p) => !p.startsWith('.ai-tests')).sort();

function expectOneLineFailure(r: CliResult, message: string | RegExp) {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  if (typeof message === 'string') expect(lines[0]).toBe(`traceforge: ${message}`);
  else expect(lines[0]).toMatch(message);
}

describe('traceforge gen: bad input', () => {
  it('an unknown, ambiguous or path-like id: one line, exit 1, nothing written', async () => {
    expectOneLineFailure(await gen('nope'), 'no trace matches "nope" in .ai-tests/traces: run `traceforge trace list` to see the recorded ids');
    expectOneLineFailure(await gen('abc'), /^traceforge: "abc" matches 2 traces \(.+\): type more of the id$/);
    expectOneLineFailure(await gen('../../etc/passwd'), /is not a trace id/);
    expect(await written()).toEqual([]);
  });

  it('a provider no template fits: suggests --template fetch', async () => {
    expectOneLineFailure(await gen('zz1'), 'no template fits trace zz1custom (an unknown provider at POST /generate/stream): use --template fetch for a plain HTTP test');
    expect(await written()).toEqual([]);
  });

  it('an output path outside the project', async () => {
    expectOneLineFailure(await gen('abc123', '--out', '../escape.test.ts'), /^traceforge: --out \.\.\/escape\.test\.ts is outside the project \(.+\): generated files must go inside it/);
    expectOneLineFailure(await gen('abc123', '--cassette', '/tmp/escape.yaml'), /^traceforge: --cassette \/tmp\/escape\.yaml is outside the project/);
    expect(await written()).toEqual([]);
  });

  it('a call that was not streamed', async () => {
    expectOneLineFailure(await gen('nn1'), /^traceforge: trace nn1plain \(POST \/v1\/chat\/completions\) is not a streamed call/);
  });

  it('a bad --timing is a usage error', async () => {
    const r = await gen('abc123', '--timing', 'fast');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--timing must be instant or recorded, got "fast"');
  });

  it('a bad --clock, or --clock without --timing recorded, is a usage error', async () => {
    const bad = await gen('abc123', '--timing', 'recorded', '--clock', 'fast');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--clock must be virtual or wall, got "fast"');
    const alone = await gen('abc123', '--clock', 'wall');
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--clock wall is the clock a timing test replays on: add --timing recorded');
    expect(await written()).toEqual([]);
  });
});

describe('traceforge gen: writing', () => {
  it('writes the cassette and the test, says so, and how to run it', async () => {
    const r = await gen('abc123');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'wrote test/what-is-the-capital-of-france.test.ts  (template openai, timing instant)',
        'wrote fixtures/what-is-the-capital-of-france.yaml  (cassette, 1 interaction)',
        'run it: npx vitest run test/what-is-the-capital-of-france.test.ts',
        '',
      ].join('\n'),
    );
    const test = await readFile(join(project.cwd, 'test/what-is-the-capital-of-france.test.ts'), 'utf8');
    expect(test).toContain("it('answers \"What is the capital of France?\"', async () => {");
    expect(test).toContain("expect(text).toBe('Paris.');");
  });

  it('never overwrites without --force', async () => {
    const path = join(project.cwd, 'test/what-is-the-capital-of-france.test.ts');
    const before = await readFile(path, 'utf8');
    expectOneLineFailure(
      await gen('abc123', '--timing', 'recorded'),
      'test/what-is-the-capital-of-france.test.ts already exists: pass --force to overwrite it, or choose another path with --out',
    );
    expect(await readFile(path, 'utf8')).toBe(before);
    const forced = await gen('abc123', '--timing', 'recorded', '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('(template openai, timing recorded on the virtual clock)');
    const timed = await readFile(path, 'utf8');
    expect(timed).toContain("useCassette(fixture, { clock: 'virtual' })");
    expect(timed).toContain('const TOLERANCE_MS = 0.01;');
    const wall = await gen('abc123', '--timing', 'recorded', '--clock', 'wall', '--force');
    expect(wall.code).toBe(0);
    expect(wall.stdout).toContain('(template openai, timing recorded on the wall clock)');
    expect(await readFile(path, 'utf8')).toContain('const TTFB_TOLERANCE_MS = 100;');
  });

  it('takes --out, --cassette and --template', async () => {
    const r = await gen('zz1', '--template', 'fetch', '--out', 'spec/custom.spec.ts', '--cassette', 'spec/fixtures/custom.yaml');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('wrote spec/custom.spec.ts  (template fetch, timing instant)');
    const test = await readFile(join(project.cwd, 'spec/custom.spec.ts'), 'utf8');
    expect(test).toContain("new URL('./fixtures/custom.yaml', import.meta.url)");
    expect(test).toContain('fetch(`${cassette.url}/generate/stream`');
  });
});
