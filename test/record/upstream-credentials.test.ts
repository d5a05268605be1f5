import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecorder } from '../../src/record/recorder.js';
import type { Trace } from '../../src/trace/types.js';
import { openaiChatStream, startFakeUpstream, type FakeUpstream } from '../fakes/index.js';

describe('--upstream http://user:pass@host (a gateway behind basic auth)', () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    fake = await startFakeUpstream(openaiChatStream({ text: 'through the gateway' }));
  });
  afterAll(async () => {
    await fake.close();
  });

  it('sends the credentials as authorization: Basic, and nothing recorded holds them', async () => {
    const traces: Trace[] = [];
    const upstream = fake.url.replace('http://', 'http://gate%40way:s3cr%3At-pw@');
    const rec = await startRecorder({ upstream, onTrace: (t) => void traces.push(t) });
    try {
      const res = await fetch(`${rec.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"m","stream":true}' });
      await res.text();
      const withOwn = await fetch(`${rec.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer app-key-000', 'content-type': 'application/json' }, body: '{"model":"m","stream":true}' });
      await withOwn.text();
      await rec.flush();
    } finally {
      await rec.close();
    }
    const basic = `Basic ${Buffer.from('gate@way:s3cr:t-pw').toString('base64')}`;
    expect(fake.requests.at(-2)!.headers.authorization).toBe(basic);
    // The app's own authorization wins: the gateway credentials are not forced over it.
    expect(fake.requests.at(-1)!.headers.authorization).toBe('Bearer app-key-000');
    const written = JSON.stringify(traces);
    for (const secret of ['s3cr', 's3cr%3At-pw', basic.slice(6)]) expect(written).not.toContain(secret);
    expect(traces[0]!.metadata.upstream).toBe(fake.url);
  });
});
