/**
 * Durations that feed Node's timers stop at 2^31 - 1 ms: past it a timer fires after 1 ms with a
 * TimeoutOverflowWarning, and a wait that re-arms itself spins (`stall=1:3000000000` gave 2,200
 * warnings and 1.7 s of CPU).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeFaults, parseFault } from '../../src/replay/faults.js';
import { startRecorder } from '../../src/record/recorder.js';
import { startReplayServer, type ReplayServer } from '../../src/replay/replay-server.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { runMain } from '../helpers/run-main.js';
import { caught, caughtSync, expectOneLine, openSocket } from './helpers.js';

const LIMIT = 2 ** 31 - 1;

describe('fault values', () => {
  it('a stall past the timer limit is refused when parsed, naming the fault and the range', () => {
    for (const spec of ['stall=1:3000000000', `stall=2:${LIMIT + 1}@1`]) {
      const e = expectOneLine(caughtSync(() => parseFault(spec)), 'E_USAGE', `fault "${spec}"`);
      expect(e.message).toContain(`MS must be an integer from 0 to ${LIMIT}`);
    }
    expectOneLine(caughtSync(() => normalizeFaults([{ kind: 'stall', chunk: 1, ms: 3e9 }])), 'E_USAGE', 'stall=1:3000000000');
    expect(parseFault(`stall=1:${LIMIT}`)).toEqual({ kind: 'stall', chunk: 1, ms: LIMIT });
  });

  it('traceforge replay --fault stall=1:3000000000 is a usage error', async () => {
    const r = await runMain(['replay', 'nothing.yaml', '--fault', 'stall=1:3000000000']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/^traceforge: fault "stall=1:3000000000": MS must be an integer from 0 to 2147483647/);
  });

  it('duration flags stop at the limit: --stall-ms, --timeout, --headers-timeout', async () => {
    for (const args of [
      ['sweep', 'c.yaml', '--stall-ms', '3000000000', '--', 'true'],
      ['sweep', 'c.yaml', '--timeout', '3000000000', '--', 'true'],
      ['replay', 'c.yaml', '--headers-timeout', '3000000000'],
      ['record', '--upstream', 'http://127.0.0.1:9', '--headers-timeout', '3000000000'],
    ]) {
      const r = await runMain(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0]).toMatch(/must be a (whole )?number from [01] to 2147483647 \(ms; Node's timer limit, about 24\.8 days\), got "3000000000"$/);
    }
  });
});

describe('library options', () => {
  it('headersTimeoutMs past the limit is refused by the replay server and the recorder before they listen', async () => {
    const trace = makeOpenAIStreamTrace({ id: 'ab12cd34ef56' });
    expectOneLine(await caught(() => startReplayServer({ cassette: [trace], headersTimeoutMs: 3e9 })), 'E_USAGE', 'headersTimeoutMs must be from 1 to 2147483647 ms');
    expectOneLine(await caught(() => startRecorder({ upstream: 'http://127.0.0.1:9', headersTimeoutMs: 3e9, onTrace: () => undefined })), 'E_USAGE', 'headersTimeoutMs must be from 1 to 2147483647 ms');
  });
});

describe('stalls that add up past the limit', () => {
  let server: ReplayServer;
  const warnings: string[] = [];
  const onWarning = (w: Error) => void warnings.push(w.name);
  beforeAll(async () => {
    process.on('warning', onWarning);
    const trace = makeOpenAIStreamTrace({ id: 'ab12cd34ef56', text: 'one two three' });
    // Each is in range; together they hold the first chunk 4e9 ms.
    server = await startReplayServer({ cassette: [trace], speed: 0, faults: ['stall=1:2000000000', 'stall=1:2000000000'] });
  });
  afterAll(async () => {
    process.off('warning', onWarning);
    await server.close();
  });

  it('wait without a timer storm', async () => {
    const trace = makeOpenAIStreamTrace({ id: 'ab12cd34ef56', text: 'one two three' });
    const body = JSON.stringify(trace.request);
    const s = await openSocket(server.port);
    s.on('data', () => undefined);
    s.write(`POST ${trace.http.url} HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    const cpu = process.cpuUsage();
    await new Promise((ok) => setTimeout(ok, 400));
    const used = process.cpuUsage(cpu);
    s.destroy();
    expect(warnings.filter((w) => w === 'TimeoutOverflowWarning')).toEqual([]);
    // A spinning wait burns the whole 400 ms; a sleeping one next to nothing (loose: a busy machine adds its own).
    expect((used.user + used.system) / 1000).toBeLessThan(300);
  });
});
