/**
 * The "done when": an unmodified app using OpenAIRealtimeWS is recorded once (against a fake
 * Realtime server: the interception takes its wss://api.openai.com upgrade to the recorder's relay) and
 * replayed in a CI run by useCassette alone; a changed client frame fails the test with the frame-level
 * explanation.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCassette } from '../../src/cassette/codec.js';
import { openCassette } from '../../src/session.js';
import { startRealtimeFake, type RealtimeFake } from '../fakes/realtime.js';
import { askRealtime } from './realtime-helpers.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const WORK = join(ROOT, '.tmp', `ws-record-${process.pid}`);
const KEY = 'sk-test-realtime-0123456789abcdef';

async function vitest(spec: string): Promise<{ code: number; out: string }> {
  await writeFile(join(WORK, 'case.spec.ts'), spec);
  try {
    const { stdout, stderr } = await run(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--root', WORK], { cwd: WORK, env: { ...process.env, CI: 'true', NO_COLOR: '1', TRACEFORGE_RECORD: '' } });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

const spec = (instructions: string) => `
import { it, expect } from 'vitest';
import { useCassette } from ${JSON.stringify(join(ROOT, 'src/vitest.ts'))};
import { askRealtime } from ${JSON.stringify(join(ROOT, 'test/ws/realtime-helpers.ts'))};
useCassette('realtime.yaml');
it('talks to OpenAI Realtime', async () => {
  const r = await askRealtime('hello there', { instructions: ${JSON.stringify(instructions)} });
  expect(r.error).toBeUndefined();
  expect(r.text).toBe('echo: hello there');
});
`;

describe('recording OpenAIRealtimeWS through the interception, replaying it with useCassette', () => {
  let fake: RealtimeFake;
  beforeAll(async () => {
    await mkdir(WORK, { recursive: true });
    await writeFile(join(WORK, 'vitest.config.mjs'), "export default { test: { include: ['*.spec.ts'] } };\n");
    fake = await startRealtimeFake({ gapMs: 60 });
  });
  afterAll(async () => {
    await fake.close();
    await rm(WORK, { recursive: true, force: true });
  });

  it('records the session with every frame both ways, the close, and no key', async () => {
    const s = await openCassette(join(WORK, 'realtime.yaml'), { mode: 'once', intercept: true, upstream: `http://127.0.0.1:${fake.port}`, traces: false, env: {} });
    let r;
    try {
      r = await askRealtime('hello there', { instructions: 'Be brief.', apiKey: KEY });
    } finally {
      await s.close();
    }
    expect(r.error).toBeUndefined();
    expect(r.text).toBe('echo: hello there');
    // The upstream got the key; the cassette did not.
    expect(fake.auth).toEqual([`Bearer ${KEY}`]);
    const text = await readFile(join(WORK, 'realtime.yaml'), 'utf8');
    expect(text).not.toContain(KEY);
    const [t] = parseCassette(text, 'realtime.yaml').interactions;
    expect(t!.http).toMatchObject({ method: 'GET', url: '/v1/realtime?model=gpt-realtime', status: 101 });
    expect(t!.http.request_headers.authorization).toBe('[REDACTED]');
    const ws = t!.websocket!;
    const types = (side: string) => ws.frames.filter((f) => f.from === side).map((f) => JSON.parse(f.text!).type);
    // Each side in its order (how the two interleave is the network's: both are kept as they arrived).
    expect(types('client')).toEqual(['session.update', 'conversation.item.create', 'response.create']);
    expect(types('server')).toEqual([
      'session.created',
      'session.updated',
      'conversation.item.created',
      'response.created',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.done',
    ]);
    expect(ws.frames.findIndex((f) => f.from === 'client')).toBe(1);
    expect(ws.close).toMatchObject({ by: 'client', code: 1000, reason: 'done' });
    // Offsets grow, and the deltas were stamped as far apart as the fake's own log says it sent them (meant
    // 60 ms apart; a busy machine can fire its timers together, and then they were sent together), give or
    // take half that: a busy machine also stamps late. Stamped together, they would be ~60 ms off.
    const at = ws.frames.map((f) => f.at_ms);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    const deltas = ws.frames.filter((f) => f.text!.includes('output_text.delta')).map((f) => f.at_ms);
    const sent = fake.log.filter((e) => e.dir === 'sent' && e.type === 'response.output_text.delta').map((e) => e.at);
    const sentGap = sent[1]! - sent[0]!;
    expect(Math.abs(deltas[1]! - deltas[0]! - sentGap)).toBeLessThan(Math.max(5, sentGap / 2));
  }, 60_000);

  it('replays in a CI run with useCassette alone (no upstream, no key), and a changed client frame fails with the frame, path and recorded value', async () => {
    await fake.close();
    const ok = await vitest(spec('Be brief.'));
    expect(ok.out).toContain('1 passed');
    expect(ok.code).toBe(0);
    const changed = await vitest(spec('Be verbose.'));
    expect(changed.code).not.toBe(0);
    expect(changed.out).toContain('client frame #1 (frame 1 of the session) differs at $.session.instructions: recorded "Be brief.", received "Be verbose."');
  }, 120_000);
});
