/**
 * An upstream's reason phrase can hold any byte but CR and LF: DEL, an escape sequence, bytes that are
 * not UTF-8. Before, `200 OK\x7f` made the recorder answer the app with a 500 (Node's writeHead refused
 * it) while the trace said 200, and the cassette holding it could not be loaded at all.
 * Real recorder, real replay server, a raw upstream on 127.0.0.1.
 */
import { request } from 'node:http';
import { createServer, connect, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import { startRecorder } from '../../src/record/recorder.js';
import { openCassette } from '../../src/session.js';
import { makeNonStreamTrace } from '../helpers/make-trace.js';
import { startReplayServer } from '../../src/replay/replay-server.js';
import { appendToCassette, loadCassette } from '../../src/store/cassette-file.js';
import type { Trace } from '../../src/trace/types.js';
import { buildViewModel, summaryLines } from '../../src/tui/panels.js';
import { plainStyle } from '../../src/tui/style.js';
import { tempDir } from './helpers.js';

const BODY = '{"id":"x","object":"chat.completion","choices":[]}';
/** Phrases as bytes on the wire, and what Node lets a server send of each (control bytes dropped). */
const PHRASES: Array<[string, Buffer, string]> = [
  ['DEL', Buffer.from('OK\x7f', 'latin1'), 'OK'],
  ['an escape sequence', Buffer.from('OK \x1b]0;pwned\x07\x1b[2J', 'latin1'), 'OK ]0;pwned[2J'],
  ['non-UTF-8 bytes', Buffer.from([0x4f, 0xe9, 0xff, 0x4b]), '\u004f\u00e9\u00ff\u004b'],
];

let tmp: Awaited<ReturnType<typeof tempDir>>;
let upstream: Server;
let upstreamPort = 0;
let next = 0;

beforeAll(async () => {
  tmp = await tempDir();
  // Answers request n with phrase n, raw, as a provider's server could.
  upstream = createServer((s) => {
    s.once('data', () => {
      const phrase = PHRASES[next++ % PHRASES.length]![1];
      s.end(Buffer.concat([Buffer.from('HTTP/1.1 200 '), phrase, Buffer.from(`\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\nconnection: close\r\n\r\n${BODY}`)]));
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamPort = (upstream.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((r) => upstream.close(r));
  await tmp.cleanup();
});

function post(port: number, path = '/v1/chat/completions'): Promise<{ status: number; phrase: string; body: string }> {
  return new Promise((resolve, reject) => {
    const body = '{"model":"m","messages":[]}';
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, phrase: res.statusMessage!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The raw status line the replay server sends for one request, as bytes. */
function statusLine(port: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const body = '{"model":"m","messages":[]}';
    const parts: Buffer[] = [];
    const s = connect(port, '127.0.0.1', () => s.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`));
    s.on('data', (c: Buffer) => parts.push(c));
    s.on('error', reject);
    s.on('close', () => {
      const all = Buffer.concat(parts);
      resolve(all.subarray(0, all.indexOf('\r\n')));
    });
  });
}

describe('a reason phrase with any bytes in it', () => {
  it('is recorded as it came, the app gets the upstream status, the cassette loads and replays it, and views print it safely', async () => {
    const traces: Trace[] = [];
    const rec = await startRecorder({ upstream: `http://127.0.0.1:${upstreamPort}`, onTrace: (t) => void traces.push(t) });
    const got = [];
    try {
      for (let i = 0; i < PHRASES.length; i++) got.push(await post(rec.port));
      for (let i = 0; i < 100 && traces.length < PHRASES.length; i++) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await rec.close();
    }
    // The app: the upstream's status and body, and the phrase as close as Node can send it.
    expect(got.map((g) => g.status)).toEqual([200, 200, 200]);
    expect(got.map((g) => g.body)).toEqual([BODY, BODY, BODY]);
    expect(got.map((g) => g.phrase)).toEqual(PHRASES.map(([, , sent]) => sent));
    // The trace: every byte, one character each.
    expect(traces.map((t) => t.http.status_message)).toEqual(PHRASES.map(([, wire]) => wire.toString('latin1')));

    const path = join(tmp.dir, 'phrases.yaml');
    await appendToCassette(path, traces);
    const loaded = await loadCassette(path);
    expect(loaded.warnings).toBeUndefined();
    expect(loaded.interactions.map((t) => t.http.status_message)).toEqual(PHRASES.map(([, wire]) => wire.toString('latin1')));

    // Replay: one server per interaction (they match the same request); the status line's bytes are
    // the recorded ones, less the control bytes Node cannot send.
    for (const [i, [, , sent]] of PHRASES.entries()) {
      const server = await startReplayServer({ cassette: [loaded.interactions[i]!], speed: 0 });
      try {
        expect((await statusLine(server.port)).toString('latin1')).toBe(`HTTP/1.1 200 ${sent}`);
      } finally {
        await server.close();
      }
    }

    // Printed: no raw control character reaches a terminal.
    for (const t of loaded.interactions) {
      const lines = summaryLines(buildViewModel(t), plainStyle).join('\n');
      // eslint-disable-next-line no-control-regex
      expect(lines).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    }
  });

  it('served in-process: fetch gets the phrase as recorded, node:https the closest Node can send', async () => {
    const t = makeNonStreamTrace({ id: 'phrase0001' });
    t.http.status_message = 'OK\x7f\x1b[2J\xe9';
    const path = join(tmp.dir, 'in-process.yaml');
    await appendToCassette(path, [t]);
    const session = await openCassette(path, { mode: 'none', intercept: true, clock: 'virtual' });
    try {
      // Before: the cassette did not load at all.
      const res = await fetch('https://api.openai.com/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(t.request) });
      expect([res.status, res.statusText]).toEqual([200, 'OK\x7f\x1b[2J\xe9']);
      await res.text();
      const viaHttps = await new Promise<string>((resolve, reject) => {
        const req = https.request('https://api.openai.com/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' } }, (r) => {
          r.resume();
          r.on('end', () => resolve(r.statusMessage!));
        });
        req.on('error', reject);
        req.end(JSON.stringify(t.request));
      });
      // node:https in-process is answered through a Response, which carries what Node can send.
      expect(viaHttps).toBe('OK[2J\xe9');
      expect(session.misses).toEqual([]);
    } finally {
      await session.close();
    }
  });
});
