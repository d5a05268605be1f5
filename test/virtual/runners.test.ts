/**
 * clock: 'virtual' under the real jest (ESM mode) and `node --test`, with unmodified app modules on the
 * official openai and anthropic SDKs: the app measures each recorded offset, a recorded 10 s stream
 * takes no recorded time, and CI=true with a CPU-bound process beside it changes nothing (the bench
 * measures it with four).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCassette } from '../../src/cassette/codec.js';
import { writeCassette } from '../../src/store/cassette-file.js';
import { makeAnthropicStreamTrace } from '../helpers/make-trace.js';
import { chatTrace, expectedOffsets } from './helpers.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const WORK = join(ROOT, '.tmp', `virtual-runners-${process.pid}`);
const JEST = join(ROOT, 'node_modules/jest/bin/jest.js');

// 600 events over 10 s, with gaps from 0.001 to 250 ms.
const GAPS = Array.from({ length: 600 }, (_, i) => (i === 0 ? 0 : i % 97 === 0 ? 250.125 : ((i * 7919) % 3000) / 1000 + 0.001));
const WORDS = Array.from({ length: 600 - 4 }, (_, i) => `w${i}`);
const openaiTrace = chatTrace('long', WORDS, GAPS, 61.7, 'trlongstream');
const anthropicTrace = makeAnthropicStreamTrace({ id: 'tranthropic2', text: 'p q r', gaps: [0, 1.5, 2.5, 500, 0.25, 70, 3, 4, 5], firstChunkLatencyMs: 44.4, messages: [{ role: 'user', content: 'hi' }] });
const OPENAI_AT = expectedOffsets(61.7, GAPS, 599);
const ANTHROPIC_AT = expectedOffsets(44.4, anthropicTrace.chunks!.map((c) => c.delta_ms), anthropicTrace.chunks!.length);

const APP = `
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
const openai = new OpenAI({ maxRetries: 0 });
const anthropic = new Anthropic({ maxRetries: 0 });
export async function openaiTimes() {
  const t0 = performance.now();
  const at = [];
  for await (const c of await openai.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'long' }] })) at.push(performance.now() - t0);
  return at;
}
export async function anthropicTimes() {
  const t0 = performance.now();
  const at = [];
  for await (const e of await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true, messages: [{ role: 'user', content: 'hi' }] })) at.push(performance.now() - t0);
  return at;
}
`;

const check = (assertTrue: string) => `
const OPENAI_AT = ${JSON.stringify(OPENAI_AT)};
const ANTHROPIC_AT = ${JSON.stringify(ANTHROPIC_AT)};
const near = (a, b) => Math.abs(a - b) < 0.001;
async function checkOpenAI() {
  const at = await openaiTimes();
  ${assertTrue}(at.length === OPENAI_AT.length, 'openai chunks: ' + at.length);
  const off = at.map((t, i) => t - OPENAI_AT[i]).filter((d) => Math.abs(d) >= 0.001);
  ${assertTrue}(off.length === 0, 'openai chunks off their recorded offsets by ' + off.slice(0, 5).join(', '));
}
async function checkAnthropic() {
  const at = await anthropicTimes();
  ${assertTrue}(near(at[0], ANTHROPIC_AT[0]) && near(at[at.length - 1], ANTHROPIC_AT[ANTHROPIC_AT.length - 1]), 'anthropic ends at ' + at[0] + ', ' + at[at.length - 1]);
  ${assertTrue}(at.every((t) => ANTHROPIC_AT.some((r) => near(r, t))), 'anthropic events off the recorded offsets: ' + at.join(', '));
}
`;

const JEST_SPEC = `
import { jest } from '@jest/globals';
import { openaiTimes, anthropicTimes } from './app.mjs';
import { useCassette } from 'traceforge/jest';
useCassette('chat.yaml', { clock: 'virtual' });
${check('expectTrue')}
function expectTrue(ok, message) { if (!ok) throw new Error(message); }
test('openai: every chunk at its recorded offset', checkOpenAI);
test('anthropic: every event at its recorded offset', checkAnthropic);
test("a test's own jest.useFakeTimers() is the same one clock", async () => {
  jest.useFakeTimers();
  try {
    await checkAnthropic();
  } finally {
    jest.useRealTimers();
  }
});
`;

const NODE_SPEC = `
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openaiTimes, anthropicTimes } from './app.mjs';
import { useCassette } from 'traceforge/node-test';
useCassette('chat.yaml', { clock: 'virtual' });
${check('assert.ok')}
test('openai: every chunk at its recorded offset', checkOpenAI);
test('anthropic: every event at its recorded offset', checkAnthropic);
`;

function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENAI_API_KEY: 'sk-fake-000', ANTHROPIC_API_KEY: 'sk-ant-fake-000', CI: 'true', ...extra };
  for (const k of ['TRACEFORGE_RECORD', 'TRACEFORGE_UPSTREAM', 'TRACEFORGE_PROXY_URL', 'TRACEFORGE_CASSETTE', 'TRACEFORGE_FAULTS', 'TRACEFORGE_CLOCK', 'OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'VITEST', 'VITEST_WORKER_ID', 'VITEST_POOL_ID']) if (!(k in extra)) delete env[k];
  return env;
}

async function runIt(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; ms: number }> {
  const t0 = performance.now();
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd: WORK, env });
    return { code: 0, out: stdout + stderr, ms: performance.now() - t0 };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr, ms: performance.now() - t0 };
  }
}

describe('clock: virtual under jest and node --test', () => {
  const burners: ChildProcess[] = [];
  beforeAll(async () => {
    await rm(WORK, { recursive: true, force: true });
    await mkdir(WORK, { recursive: true });
    await writeFile(join(WORK, 'app.mjs'), APP);
    await writeFile(join(WORK, 'app.test.mjs'), JEST_SPEC);
    await writeFile(join(WORK, 'node.test.mjs'), NODE_SPEC);
    await writeFile(join(WORK, 'jest.config.mjs'), `export default { testEnvironment: 'node', testMatch: ['**/app.test.mjs'], transform: {} };\n`);
    await writeCassette(join(WORK, 'chat.yaml'), { ...emptyCassette(), interactions: [openaiTrace, anthropicTrace] });
    // Busy, as a CI machine running test workers in parallel is: one CPU-bound process beside the suite's own.
    burners.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
  });
  afterAll(async () => {
    for (const b of burners) b.kill('SIGKILL');
    await rm(WORK, { recursive: true, force: true });
  });

  it('jest: both SDKs see every recorded offset, with a CPU-bound process running', async () => {
    const r = await runIt([JEST, '--ci', '--no-cache', '--runInBand'], cleanEnv({ NODE_OPTIONS: '--experimental-vm-modules' }));
    expect(r.out).toMatch(/Tests:\s+3 passed, 3 total/);
    expect(r.code).toBe(0);
  }, 120_000);

  it('node --test: both SDKs see every recorded offset, with a CPU-bound process running', async () => {
    const r = await runIt(['--test', 'node.test.mjs'], cleanEnv({}));
    expect(r.out).toMatch(/# pass 2/);
    expect(r.out).toMatch(/# fail 0/);
    expect(r.code).toBe(0);
  }, 120_000);
});
