/**
 * Replaying a WebSocket session to the official OpenAI Realtime client (`OpenAIRealtimeWS`, which opens
 * its socket to wss://api.openai.com with `ws`): the interception takes the upgrade to the replay server,
 * which checks each client frame, answers each one at its recorded offset from it, and closes as recorded.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringifyCassette } from '../../src/cassette/codec.js';
import { openCassette } from '../../src/session.js';
import { wsTraceOf, type RawWsSession } from '../../src/ws/tape.js';
import { askRealtime } from './realtime-helpers.js';

const WORK = join(resolve(import.meta.dirname, '../..'), '.tmp', `ws-replay-${process.pid}`);
const CASSETTE = join(WORK, 'realtime.yaml');

const frame = (from: 'client' | 'server', at: number, event: Record<string, unknown>) => ({ from, at, binary: false, bytes: Buffer.from(JSON.stringify(event)) });
const session = { id: 'sess_1', type: 'realtime', model: 'gpt-realtime', instructions: 'Be brief.' };
/** What a recording of askRealtime('hi') looks like: the answer comes 200 ms after the question. */
const recorded: RawWsSession = {
  id: 'rt1',
  timestamp: '2026-01-01T00:00:00.000Z',
  upstream: 'wss://api.openai.com/v1/realtime?model=gpt-realtime',
  requestHeaders: { authorization: 'Bearer sk-test-realtime-0123456789abcdef' },
  status: 101,
  statusMessage: 'Switching Protocols',
  responseHeaders: [['x-request-id', 'req_1']],
  headersMs: 3,
  frames: [
    frame('server', 1, { type: 'session.created', event_id: 'e1', session: { ...session, instructions: '' } }),
    frame('client', 2.5, { type: 'session.update', event_id: 'c1', session: { type: 'realtime', instructions: 'Be brief.' } }),
    frame('server', 3.25, { type: 'session.updated', event_id: 'e2', session }),
    frame('client', 4, { type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] } }),
    frame('client', 4.5, { type: 'response.create' }),
    frame('server', 204.5, { type: 'response.created', response: { id: 'r1', status: 'in_progress' } }),
    frame('server', 205, { type: 'response.output_text.delta', response_id: 'r1', delta: 'echo:' }),
    frame('server', 215, { type: 'response.output_text.delta', response_id: 'r1', delta: ' hi' }),
    frame('server', 216, { type: 'response.done', response: { id: 'r1', status: 'completed' } }),
  ],
  close: { by: 'client', code: 1000, reason: 'done', at_ms: 220 },
  durationMs: 225,
};

beforeAll(async () => {
  await mkdir(WORK, { recursive: true });
  await writeFile(CASSETTE, stringifyCassette({ version: 2, interactions: [wsTraceOf(recorded)] }));
});
afterAll(() => rm(WORK, { recursive: true, force: true }));

describe('WebSocket replay to OpenAIRealtimeWS', () => {

  it('serves the recorded conversation, each answer at its offset from the question it answers', async () => {
    const s = await openCassette(CASSETTE, { mode: 'none', intercept: true, env: { CI: 'true' } });
    try {
      // The client waits 300 ms before asking: the answer must wait for the question, then keep its 200 ms.
      const run = await askRealtime('hi', { waitBeforeAskMs: 300 });
      expect(run.error).toBeUndefined();
      expect(s.misses).toEqual([]);
      expect(run.text).toBe('echo: hi');
      expect(run.types).toEqual(['session.created', 'session.updated', 'response.created', 'response.output_text.delta', 'response.output_text.delta', 'response.done']);
      const answeredAfter = run.at['response.created']! - run.at.asked!;
      // Recorded 200 ms after the question; a replay that ignored the client would have sent it ~100 ms before it.
      expect(answeredAfter).toBeGreaterThanOrEqual(190);
      expect(answeredAfter).toBeLessThan(2000);
      expect(run.close?.code).toBe(1000);
    } finally {
      await s.close();
    }
  });

  it("under clock: 'virtual' the session replays too (from the local server, the virtual clock following the wall clock)", async () => {
    const s = await openCassette(CASSETTE, { mode: 'none', intercept: true, clock: 'virtual', env: { CI: 'true' } });
    try {
      s.setRunning(true);
      const run = await askRealtime('hi');
      expect(run.error).toBeUndefined();
      expect(run.text).toBe('echo: hi');
      expect(s.misses).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('a client frame that differs ends the session and fails with the frame, the JSON path and the recorded value', async () => {
    const s = await openCassette(CASSETTE, { mode: 'none', intercept: true, env: { CI: 'true' } });
    try {
      const run = await askRealtime('hi', { instructions: 'Be verbose.' });
      expect(run.text).toBe('');
      expect(run.close?.code).toBe(1008);
      expect(run.close?.reason).toContain('client frame #1 differs at $.session.instructions');
      expect(s.misses).toHaveLength(1);
      expect(s.misses[0]!.message).toContain('client frame #1 (frame 1 of the session) differs at $.session.instructions: recorded "Be brief.", received "Be verbose."');
      expect(s.misses[0]!.closest?.differences[0]).toEqual({ field: '$.session.instructions', recorded: '"Be brief."', received: '"Be verbose."' });
    } finally {
      await s.close();
    }
  });

  it('an upgrade with no recording is refused with a miss naming the closest recording', async () => {
    const other = join(WORK, 'other.yaml');
    await writeFile(other, stringifyCassette({ version: 2, interactions: [wsTraceOf({ ...recorded, upstream: 'wss://api.openai.com/v1/realtime?model=gpt-4o-realtime-preview' })] }));
    const s = await openCassette(other, { mode: 'none', intercept: true, env: { CI: 'true' } });
    try {
      const run = await askRealtime('hi');
      expect(run.error).toMatch(/404/);
      expect(s.misses[0]!.message).toMatch(/^WebSocket upgrade: No recorded interaction matches GET \/v1\/realtime\?model=gpt-realtime.*query: recorded model=gpt-4o-realtime-preview/);
    } finally {
      await s.close();
    }
  });
});

describe('faults on a replayed WebSocket session (server frames count from 1)', () => {
  const withFaults = async (faults: string[], check: (run: Awaited<ReturnType<typeof askRealtime>>) => void) => {
    const s = await openCassette(CASSETTE, { mode: 'none', intercept: true, speed: 0, faults, env: { CI: 'true' } });
    try {
      check(await askRealtime('hi'));
    } finally {
      await s.close();
    }
  };

  it('drop-after=4 cuts the connection, with no close frame, right after the fourth server frame', () =>
    withFaults(['drop-after=4'], (run) => {
      expect(run.types).toEqual(['session.created', 'session.updated', 'response.created', 'response.output_text.delta']);
      expect(run.close?.code).toBe(1006);
    }));

  it('truncate-json=3 sends half of the third server frame, which the client cannot parse', () =>
    withFaults(['truncate-json=3'], (run) => {
      expect(run.types).toEqual(['session.created', 'session.updated', 'response.output_text.delta', 'response.output_text.delta', 'response.done']);
      expect(run.error).toMatch(/could not parse websocket event/);
    }));

  it('stall=3:300 holds the third server frame (and those after it) 300 ms', () =>
    withFaults(['stall=3:300'], (run) => {
      expect(run.text).toBe('echo: hi');
      expect(run.at['response.created']! - run.at.asked!).toBeGreaterThanOrEqual(290);
    }));

  it('status=401 refuses the upgrade', () =>
    withFaults(['status=401'], (run) => {
      expect(run.error).toMatch(/401/);
      expect(run.types).toEqual([]);
    }));
});
