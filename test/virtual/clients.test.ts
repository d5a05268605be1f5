/**
 * The virtual clock with other clients and paths: the official Anthropic SDK, node:https (the
 * interception's mock socket), a call that leaves the process (said in one line, and time holds
 * still for it), and a record mode (a call with no recording goes out on the wall clock and is recorded).
 */
import { createServer } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCassette } from '../../src/session.js';
import { loadCassette } from '../../src/store/cassette-file.js';
import { makeAnthropicStreamTrace } from '../helpers/make-trace.js';
import { startAnyProviderFake } from '../intercept/any-provider.js';
import { chatTrace, expectedOffsets, tempCassette } from './helpers.js';

const GAPS = [0, 4.25, 300.5, 2, 9.125, 1, 1];
const openaiTrace = chatTrace('hi', ['x', 'y', 'z'], GAPS, 33.3, 'tropenai0001');
const anthropicTrace = makeAnthropicStreamTrace({ id: 'tranthropic1', text: 'p q r', gaps: [0, 1.5, 2.5, 100, 0.25, 70, 3, 4, 5], firstChunkLatencyMs: 44.4, messages: [{ role: 'user', content: 'hi' }] });

describe('clients on the virtual clock', () => {
  let path: string;
  beforeAll(async () => {
    path = await tempCassette([openaiTrace, anthropicTrace]);
  });

  it('the Anthropic SDK sees each event at its recorded offset', async () => {
    const session = await openCassette(path, { mode: 'none', intercept: true, clock: 'virtual' });
    try {
      const anthropic = new Anthropic({ apiKey: 'sk-ant-test', maxRetries: 0 });
      const t0 = performance.now();
      const at: number[] = [];
      const stream = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true, messages: [{ role: 'user', content: 'hi' }] });
      for await (const event of stream) at.push(performance.now() - t0);
      const recorded = expectedOffsets(44.4, anthropicTrace.chunks!.map((c) => c.delta_ms), anthropicTrace.chunks!.length);
      expect(session.misses).toEqual([]);
      expect(at[0]).toBeCloseTo(recorded[0]!, 6);
      expect(at[at.length - 1]).toBeCloseTo(recorded[recorded.length - 1]!, 6);
      for (const t of at) expect(recorded.some((r) => Math.abs(r - t) < 0.001)).toBe(true);
    } finally {
      await session.close();
    }
  });

  it('node:https gets each recorded piece at its offset through the mock socket', async () => {
    const session = await openCassette(path, { mode: 'none', intercept: true, clock: 'virtual' });
    try {
      const t0 = performance.now();
      const pieces: Array<[number, string]> = [];
      await new Promise<void>((resolve, reject) => {
        const req = https.request('https://api.openai.com/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' } }, (res) => {
          res.setEncoding('utf8');
          res.on('data', (d: string) => pieces.push([performance.now() - t0, d]));
          res.on('end', resolve);
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(JSON.stringify(openaiTrace.request));
      });
      expect(pieces.map(([, d]) => d).join('')).toBe(openaiTrace.chunks!.map((c) => c.raw).join(''));
      const recorded = expectedOffsets(33.3, GAPS, GAPS.length);
      expect(pieces[0]![0]).toBeCloseTo(33.3, 6);
      for (const [t] of pieces) expect(recorded.some((r) => Math.abs(r - t) < 0.001)).toBe(true);
    } finally {
      await session.close();
    }
  });

  it("a call that leaves the process is named in one line, and the app's timers do not race ahead while it is out", async () => {
    const local = createServer((_req, res) => setTimeout(() => res.end('pong'), 30));
    await new Promise<void>((r) => local.listen(0, '127.0.0.1', r));
    const notes: string[] = [];
    const session = await openCassette(path, { mode: 'none', intercept: true, clock: 'virtual', onNote: (l) => notes.push(l) });
    try {
      const url = `http://127.0.0.1:${(local.address() as AddressInfo).port}/ping`;
      let timerFired = false;
      setTimeout(() => (timerFired = true), 10_000);
      expect(await (await fetch(url)).text()).toBe('pong');
      // The app's 10 s timer did not race ahead while the answer came on the wall clock.
      expect(timerFired).toBe(false);
      await (await fetch(url)).text();
      expect(notes).toHaveLength(1);
      expect(notes[0]).toMatch(/^traceforge: clock 'virtual': a call to http:\/\/127\.0\.0\.1:\d+\/ping left the process .*intercept: \{ hosts: \['127\.0\.0\.1:\d+'\] \}.*clock: 'wall'/);
    } finally {
      await session.close();
      local.close();
    }
  });
});

describe('a child process under the virtual clock', () => {
  it('is named in one line, once per session, also when started through a named ESM import', async () => {
    const path = await tempCassette([openaiTrace]);
    const notes: string[] = [];
    const session = await openCassette(path, { mode: 'none', intercept: true, clock: 'virtual', onNote: (l) => notes.push(l) });
    try {
      const { execFileSync } = await import('node:child_process');
      expect(execFileSync(process.execPath, ['-e', 'process.stdout.write("ok")']).toString()).toBe('ok');
      execFileSync(process.execPath, ['-e', '0']);
    } finally {
      await session.close();
    }
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain("clock 'virtual': the child process `");
    expect(notes[0]).toContain('-e process.stdout.write("ok")` runs on the wall clock');
    // Closed, nothing is watched any more.
    const { execFileSync } = await import('node:child_process');
    execFileSync(process.execPath, ['-e', '0']);
    expect(notes).toHaveLength(1);
  });
});

describe("the cassette's URL under the virtual clock", () => {
  it('serves another process on the wall clock, starting the replay server only when it connects', async () => {
    const session = await openCassette(await tempCassette([openaiTrace]), { mode: 'none', intercept: true, clock: 'virtual', onNote: () => undefined });
    try {
      const { execFile } = await import('node:child_process');
      const { promisify } = await import('node:util');
      const script = `fetch(${JSON.stringify(`${session.url}/v1/chat/completions`)}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(JSON.stringify(openaiTrace.request))} }).then((r) => r.text()).then((t) => process.stdout.write(t))`;
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', script]);
      expect(stdout).toBe(openaiTrace.chunks!.map((c) => c.raw).join(''));
      // The other process's call was replayed by the replay server, which measured its lateness.
      expect(session.lateness().count).toBeGreaterThan(0);
      expect(session.misses).toEqual([]);
    } finally {
      await session.close();
    }
  });
});

describe('a worker thread under the virtual clock', () => {
  it("is named in one line; TraceForge's own threads (a second cassette's replay thread) are not", async () => {
    const notes: string[] = [];
    const session = await openCassette(await tempCassette([openaiTrace]), { mode: 'none', intercept: true, clock: 'virtual', onNote: (l) => notes.push(l) });
    try {
      const other = await openCassette(await tempCassette([openaiTrace]), { mode: 'none' });
      await other.close();
      expect(notes).toEqual([]);
      const { Worker } = await import('node:worker_threads');
      const w = new Worker('require("node:worker_threads").parentPort.postMessage(1)', { eval: true });
      await new Promise((r) => w.once('message', r));
      await w.terminate();
    } finally {
      await session.close();
    }
    expect(notes).toEqual([expect.stringMatching(/^traceforge: clock 'virtual': the worker thread `new Worker\(<code>\)` runs on the wall clock/)]);
  });
});

describe('a record mode on the virtual clock', () => {
  let fake: Awaited<ReturnType<typeof startAnyProviderFake>>;
  beforeAll(async () => {
    fake = await startAnyProviderFake();
  });
  afterAll(async () => fake?.close());

  it('replays what is on the tape, records what is not on the wall clock, and says so', async () => {
    const path = await tempCassette([openaiTrace]);
    const notes: string[] = [];
    const session = await openCassette(path, { mode: 'new_episodes', upstream: fake.url, intercept: true, clock: 'virtual', onNote: (l) => notes.push(l), traces: false });
    try {
      const openai = new OpenAI({ apiKey: 'sk-test', maxRetries: 0 });
      const chat = async (q: string) => {
        let text = '';
        for await (const c of await openai.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: q }] })) text += c.choices[0]?.delta?.content ?? '';
        return text;
      };
      expect(await chat('hi')).toBe('x y z');
      expect(fake.requests).toHaveLength(0);
      expect(await chat('new question')).toBe('openai says new question');
      expect(fake.requests).toHaveLength(1);
      expect(notes[0]).toMatch(/records \(mode "new_episodes"\)/);
      expect(notes.some((n) => /is not on the tape and is being recorded/.test(n))).toBe(true);
    } finally {
      await session.close();
    }
    const saved = await loadCassette(path);
    expect(saved.interactions).toHaveLength(2);
  });
});
