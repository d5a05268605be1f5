import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProviderRouter, hostAllowed, parseAllowHost } from '../../src/record/provider-routes.js';
import { addressesSelf, isOwnAddress } from '../../src/record/self-address.js';
import { startRecorder, type Recorder } from '../../src/record/recorder.js';
import type { Trace } from '../../src/trace/types.js';
import { openaiChatStream, startFakeUpstream, type FakeUpstream } from '../fakes/index.js';

/** Send raw bytes to the recorder and collect what comes back until it closes (or `ms` pass). */
function raw(port: number, text: string, ms = 3000, then?: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(out);
    };
    const timer = setTimeout(done, ms);
    s.on('data', (d) => {
      out += d.toString('latin1');
      // A CONNECT's 200 has no body: send the tunnelled request once it is there.
      if (then !== undefined && /^HTTP\/1\.1 200[^]*?\r\n\r\n$/.test(out)) {
        s.write(then);
        then = undefined;
        out = '';
        return;
      }
      // One complete answer is enough: headers plus a content-length body.
      const head = out.indexOf('\r\n\r\n');
      const len = /content-length: *(\d+)/i.exec(out.slice(0, head))?.[1];
      if (head >= 0 && len !== undefined && out.length >= head + 4 + Number(len)) done();
    });
    s.on('error', done);
    s.on('close', done);
    s.write(text);
  });
}

const post = (host: string, target = '/v1/chat/completions', body = '{"model":"m","stream":true,"messages":[]}') =>
  `POST ${target} HTTP/1.1\r\nHost: ${host}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`;

describe('addressesSelf / isOwnAddress', () => {
  it('knows every spelling of this machine', async () => {
    for (const ip of ['127.0.0.1', '127.9.9.9', '0.0.0.0', '::', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '[::ffff:7f00:1]', '0:0:0:0:0:0:0:1']) expect(isOwnAddress(ip), ip).toBe(true);
    for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) expect(isOwnAddress(i.address), i.address).toBe(true);
    expect(isOwnAddress('8.8.8.8')).toBe(false);
    for (const h of ['0.0.0.0', 'LocalHost', 'localhost.', 'app.localhost', '[::]', '[::1]', '[::ffff:127.0.0.1]', '0x7f.1', '127.1']) expect(await addressesSelf(new URL(`http://${h}:4321/`), 4321), h).toBe(true);
    expect(await addressesSelf(new URL('http://127.0.0.1:4322/'), 4321)).toBe(false);
    expect(await addressesSelf(new URL('http://93.184.216.34:4321/'), 4321)).toBe(false);
  });

  it('parses --allow-host values and matches hosts and ports', () => {
    expect(parseAllowHost('gpu-box:8000')).toEqual({ host: 'gpu-box', port: '8000' });
    expect(parseAllowHost('gpu-box')).toEqual({ host: 'gpu-box' });
    expect(parseAllowHost('https://example.com')).toEqual({ host: 'example.com', port: '443' });
    expect(parseAllowHost('a/b')).toBeUndefined();
    expect(hostAllowed(['gpu-box'], new URL('http://GPU-BOX:9/'))).toBe(true);
    expect(hostAllowed(['gpu-box:8000'], new URL('http://gpu-box:9/'))).toBe(false);
    expect(hostAllowed(['localhost:11434'], new URL('http://127.0.0.1:11434/'))).toBe(true);
  });
});

describe('routing mode: the recorder never forwards to itself and is no open proxy', () => {
  let openai: FakeUpstream;
  let other: FakeUpstream;
  let rec: Recorder;
  const traces: Trace[] = [];

  beforeAll(async () => {
    openai = await startFakeUpstream(openaiChatStream({ text: 'routed' }));
    other = await startFakeUpstream(openaiChatStream({ text: 'other host' }));
    rec = await startRecorder({ route: createProviderRouter({ overrides: { openai: openai.url } }).route, onTrace: (t) => void traces.push(t) });
  });
  afterAll(async () => {
    await rec.close();
    await openai.close();
    await other.close();
  });
  afterEach(async () => {
    await rec.flush();
  });

  // (An IPv6 literal in Host is refused by the HTTP parser with a 400 before the recorder sees it; addressesSelf covers those above.)
  it.each(['0.0.0.0', 'LOCALHOST', 'localhost.', '127.0.0.2'])('a Host of %s:PORT is the recorder itself: one forward, one trace, no loop', async (h) => {
    const before = traces.length;
    const sent = openai.requests.length;
    const answer = await raw(rec.port, post(`${h}:${rec.port}`));
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    await new Promise((r) => setTimeout(r, 200));
    await rec.flush();
    expect(traces.length - before).toBe(1);
    expect(openai.requests.length - sent).toBe(1);
    expect(traces.at(-1)!.metadata).toMatchObject({ upstream: openai.url });
  });

  it('an absolute-form request to a host nobody named gets a 403 naming --allow-host, and reaches nothing', async () => {
    const before = other.requests.length;
    const target = new URL(other.url);
    const answer = await raw(rec.port, `GET http://127.0.0.2:${target.port}/admin HTTP/1.1\r\nHost: 127.0.0.2:${target.port}\r\nconnection: close\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 403/);
    expect(answer).toContain('"type":"traceforge_host_not_allowed"');
    expect(answer).toContain(`--allow-host 127.0.0.2:${target.port}`);
    expect(other.requests.length).toBe(before);
    await rec.flush();
    expect(traces.at(-1)!.http).toMatchObject({ status: 403, outcome: 'recorder_refused' });
  });

  it('a forged Host naming another host gets the same 403', async () => {
    const before = other.requests.length;
    const answer = await raw(rec.port, post(new URL(other.url).host));
    expect(answer).toMatch(/^HTTP\/1\.1 403/);
    expect(answer).toContain('traceforge_host_not_allowed');
    expect(other.requests.length).toBe(before);
  });

  it('CONNECT to a host nobody named is refused with a 403 instead of a tunnel', async () => {
    const before = other.requests.length;
    const target = new URL(other.url);
    const answer = await raw(rec.port, `CONNECT 127.0.0.2:${target.port} HTTP/1.1\r\nHost: 127.0.0.2:${target.port}\r\n\r\n${post(`127.0.0.2:${target.port}`)}`);
    expect(answer).toMatch(/^HTTP\/1\.1 403/);
    expect(answer).toContain('--allow-host 127.0.0.2:');
    expect(other.requests.length).toBe(before);
  });

  it('CONNECT and absolute-form to a named upstream (the openai override) still go through', async () => {
    const sent = openai.requests.length;
    const u = new URL(openai.url);
    expect(await raw(rec.port, post(u.host, `${openai.url}/v1/chat/completions`))).toMatch(/^HTTP\/1\.1 200/);
    const tunnelled = await raw(rec.port, `CONNECT ${u.host} HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`, 3000, post(u.host));
    expect(tunnelled).toMatch(/^HTTP\/1\.1 200/);
    expect(tunnelled).toContain('routed');
    expect(openai.requests.length - sent).toBe(2);
  });
});

describe('--allow-host lets other hosts through', () => {
  it('a host given in allowHosts (router or RecorderOptions) is forwarded and recorded', async () => {
    const other = await startFakeUpstream(openaiChatStream({ text: 'allowed' }));
    const traces: Trace[] = [];
    const target = new URL(other.url);
    for (const opts of [{ router: [`127.0.0.1:${target.port}`], rec: [] }, { router: [], rec: ['127.0.0.1'] }]) {
      const rec = await startRecorder({ route: createProviderRouter({ allowHosts: opts.router }).route, allowHosts: opts.rec, onTrace: (t) => void traces.push(t) });
      const answer = await raw(rec.port, post(target.host, `${other.url}/v1/chat/completions`));
      expect(answer).toMatch(/^HTTP\/1\.1 200/);
      expect(answer).toContain('allowed');
      await rec.close();
    }
    await other.close();
    expect(traces).toHaveLength(2);
  });
});

describe('a loop through a named upstream', () => {
  it('an override that is the recorder itself (0.0.0.0:PORT) gets one 508 and one trace', async () => {
    const traces: Trace[] = [];
    const probe = await startRecorder({ upstream: 'http://127.0.0.1:9', onTrace: () => {} });
    const port = probe.port;
    await probe.close();
    const rec = await startRecorder({ port, route: createProviderRouter({ overrides: { openai: `http://0.0.0.0:${port}` } }).route, onTrace: (t) => void traces.push(t) });
    const answer = await raw(rec.port, post(`127.0.0.1:${port}`));
    expect(answer).toMatch(/^HTTP\/1\.1 508/);
    expect(answer).toContain('traceforge_loop');
    await new Promise((r) => setTimeout(r, 300));
    await rec.close();
    expect(traces).toHaveLength(1);
    expect(traces[0]!.http).toMatchObject({ status: 508, outcome: 'recorder_refused' });
  });
});
