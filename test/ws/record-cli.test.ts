/** `traceforge record` with a WebSocket app: the session is recorded into the cassette and reported in one line. */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCassette } from '../../src/cassette/codec.js';
import { startMain } from '../helpers/run-main.js';
import { startRealtimeFake, type RealtimeFake } from '../fakes/realtime.js';
import { askRealtimeRaw } from './realtime-helpers.js';

describe('traceforge record with a WebSocket session', () => {
  let fake: RealtimeFake;
  beforeAll(async () => {
    fake = await startRealtimeFake({ gapMs: 5 });
  });
  afterAll(() => fake.close());

  it('records the session sent to the proxy and says what it was', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tf-rec-ws-'));
    const run = startMain(['record', '--port', '0', '--upstream', `http://127.0.0.1:${fake.port}`, '--cassette', 'fixtures/rt.yaml'], { cwd });
    const url = (await run.waitFor(/recording (http:\S+)/))[1]!;
    const r = await askRealtimeRaw(`${url.replace('http', 'ws')}/v1/realtime?model=gpt-realtime`, 'from the cli');
    expect(r.text).toBe('echo: from the cli');
    await run.waitFor(/● GET \/v1\/realtime -> 101 \(websocket, 3 frames sent, 10 received, /);
    run.interrupt();
    expect((await run.exited).code).toBe(0);
    const [t] = parseCassette(await readFile(join(cwd, 'fixtures/rt.yaml'), 'utf8'), 'rt.yaml').interactions;
    expect(t!.websocket!.frames).toHaveLength(13);
    expect(JSON.stringify(t)).not.toContain('sk-test-realtime');
  }, 60_000);
});
