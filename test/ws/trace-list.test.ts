/** `trace list` shows a WebSocket session as one row (type, frames each way, duration); `trace view` its two-sided timeline; `trace diff` compares two. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wsTraceOf } from '../../src/ws/tape.js';
import { runMain } from '../helpers/run-main.js';
import { projectWith } from '../cli/trace-cli-helpers.js';

const frame = (from: 'client' | 'server', at: number, extra = '') => ({ from, at, binary: false, bytes: Buffer.from(`{"type":"${from}"${extra}}`) });
const HANDSHAKE = {
  upstream: 'wss://api.openai.com/v1/realtime?model=gpt-realtime',
  requestHeaders: {},
  status: 101,
  statusMessage: 'Switching Protocols',
  responseHeaders: [] as Array<[string, string]>,
  headersMs: 2,
};
let project: Awaited<ReturnType<typeof projectWith>>;
beforeAll(async () => {
  process.env.TZ = 'UTC';
  project = await projectWith([
    wsTraceOf({
      id: 'ws0011223344',
      timestamp: '2026-05-01T10:00:00.000Z',
      ...HANDSHAKE,
      frames: [frame('server', 1), frame('client', 2), frame('server', 3), frame('client', 4), frame('server', 250.5)],
      close: { by: 'client', code: 1000, at_ms: 1234.5 },
      durationMs: 1240,
    }),
    wsTraceOf({
      id: 'ws99887766aa',
      timestamp: '2026-05-02T10:00:00.000Z',
      ...HANDSHAKE,
      frames: [frame('server', 1), frame('client', 2, ',"instructions":"Be verbose."'), frame('server', 3), frame('client', 4)],
      close: { by: 'server', code: 1011, reason: 'oops', at_ms: 10 },
      durationMs: 12,
    }),
  ]);
});
afterAll(() => project.cleanup());

describe('trace list with a WebSocket session', () => {
  it('shows its type, frames each way (↑ client, ↓ server) and how long it lasted', async () => {
    const r = await runMain(['trace', 'list'], { cwd: project.cwd });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.find((l) => l.startsWith('ws001122'))).toMatch(/^ws001122\s+2026-05-01 10:00:00\s+\/v1\/realtime\s+gpt-realtime\s+WebSocket\s+101\s+↑2 ↓3\s+1\.24 s\s/);
    const json = await runMain(['trace', 'list', '--json'], { cwd: project.cwd });
    expect((JSON.parse(json.stdout) as Array<{ id: string }>).find((row) => row.id === 'ws0011223344')).toMatchObject({ type: 'websocket', status: 101, frames: { client: 2, server: 3 }, duration_ms: 1240 });
  });

  it('trace view shows the two-sided timeline: client frames left, server frames right, each at its offset, then the close', async () => {
    const r = await runMain(['trace', 'view', 'ws0011', '--text'], { cwd: project.cwd, env: { COLUMNS: '100' } });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^WebSocket GET \/v1\/realtime\?model=gpt-realtime -> 101  openai, gpt-realtime, id ws0011223344$/);
    expect(lines[1]).toBe('2 frame(s) from the client, 3 from the server, 1.23 s; handshake 2.0 ms');
    const frames = lines.slice(4, 9);
    // Server frames are indented to the right column; client frames start in the left one.
    expect(frames.map((l) => /^\s+[\d.]+ (ms|s)  (\S)/.test(l) ? 'client' : 'server')).toEqual(['server', 'client', 'server', 'client', 'server']);
    expect(frames[1]).toMatch(/^\s+2\.0 ms  client \{\}$/);
    expect(frames[4]).toMatch(/^\s+250\.5 ms\s{20,}server \{\}$/);
    expect(lines[9]).toMatch(/^\s+1\.23 s  closed by the client with 1000$/);
  });

  it('trace diff compares two sessions frame by frame: counts each way, the first differing frame and its JSON path', async () => {
    const r = await runMain(['trace', 'diff', 'ws0011', 'ws9988'], { cwd: project.cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('WebSocket sessions: duration 1234.5 ms vs 10.0 ms; close by the client 1000 vs by the server 1011 "oops"');
    expect(r.stdout).toContain('  client frames: 2 vs 2; 1 of the 2 both have differ, the first is #1 at $.instructions: (absent) vs "Be verbose."');
    expect(r.stdout).toContain('  server frames: 3 vs 2; the frames both have are the same');
  });
});
