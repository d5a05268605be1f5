/**
 * Recording a WebSocket session sent to the recorder's own address (what `traceforge record` serves): the
 * proxy hands the upgrade to its relay, which records it; the session then replays to the official
 * OpenAIRealtimeWS through useCassette's interception.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringifyCassette } from '../../src/cassette/codec.js';
import { startRecorder } from '../../src/record/recorder.js';
import { openCassette } from '../../src/session.js';
import type { Trace } from '../../src/trace/types.js';
import { startRealtimeFake, type RealtimeFake } from '../fakes/realtime.js';
import { askRealtime, askRealtimeRaw } from './realtime-helpers.js';

const WORK = join(resolve(import.meta.dirname, '../..'), '.tmp', `ws-proxy-${process.pid}`);

describe('WebSocket sessions through the recording proxy', () => {
  let fake: RealtimeFake;
  beforeAll(async () => {
    await mkdir(WORK, { recursive: true });
    fake = await startRealtimeFake({ gapMs: 10 });
  });
  afterAll(async () => {
    await fake.close();
    await rm(WORK, { recursive: true, force: true });
  });

  it('records a session sent to the proxy, then replays it to OpenAIRealtimeWS', async () => {
    const traces: Trace[] = [];
    const rec = await startRecorder({ upstream: `http://127.0.0.1:${fake.port}`, onTrace: (t) => void traces.push(t) });
    let run;
    try {
      run = await askRealtimeRaw(`ws://127.0.0.1:${rec.port}/v1/realtime?model=gpt-realtime`, 'from the proxy');
    } finally {
      await rec.close();
    }
    expect(run.error).toBeUndefined();
    expect(run.text).toBe('echo: from the proxy');
    expect(traces).toHaveLength(1);
    const t = traces[0]!;
    expect(t.http).toMatchObject({ url: '/v1/realtime?model=gpt-realtime', status: 101 });
    expect(t.http.request_headers.authorization).toBe('[REDACTED]');
    expect(t.websocket!.frames.filter((f) => f.from === 'client')).toHaveLength(3);
    expect(t.websocket!.close).toMatchObject({ by: 'client', code: 1000 });

    const file = join(WORK, 'proxy.yaml');
    await writeFile(file, stringifyCassette({ version: 2, interactions: traces }));
    const s = await openCassette(file, { mode: 'none', intercept: true, env: { CI: 'true' } });
    try {
      const replayed = await askRealtime('from the proxy');
      expect(replayed.error).toBeUndefined();
      expect(replayed.text).toBe('echo: from the proxy');
      expect(s.misses).toEqual([]);
    } finally {
      await s.close();
    }
  }, 60_000);
});
