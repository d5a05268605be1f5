import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openaiChatStream, splitTokens } from '../fakes/index.js';
import { CHAT_REQUEST, cassetteOf, recordScript } from './recorded.js';

const BIN = resolve(import.meta.dirname, '../../dist/cli/bin.js');

function cli(args: string[], onUrl?: (url: string) => Promise<void>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let started = false;
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m && onUrl && !started) {
        started = true;
        void onUrl(m[1]!).finally(() => child.kill('SIGINT'));
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

function post(url: string): Promise<{ body: string; dropped: boolean }> {
  return new Promise((done) => {
    let body = '';
    const req = request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => done({ body, dropped: false }));
      res.on('aborted', () => done({ body, dropped: true }));
    });
    req.on('error', () => done({ body, dropped: true }));
    req.end(JSON.stringify(CHAT_REQUEST));
  });
}

describe('traceforge replay --fault', () => {
  it('applies repeated --fault flags and names them in its banner', async () => {
    const trace = await recordScript(openaiChatStream({ text: splitTokens('one two three four five') }), '/v1/chat/completions', CHAT_REQUEST);
    const path = await cassetteOf('cli', [trace]);
    let got: { body: string; dropped: boolean } | undefined;
    const r = await cli(['replay', path, '--port', '0', '--speed', '0', '--fault', 'truncate-json=1', '--fault', 'drop-after=3'], async (url) => {
      got = await post(url);
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('faults: truncate-json=1, drop-after=3');
    expect(got!.dropped).toBe(true);
    const [c1, c2, c3] = trace.chunks!.map((c) => c.raw);
    expect(got!.body.endsWith(c2! + c3!)).toBe(true);
    expect(got!.body.length).toBeLessThan(c1!.length + c2!.length + c3!.length);
  });

  it('a malformed --fault is a usage error (exit 2) before the cassette is read', async () => {
    const r = await cli(['replay', '/nonexistent/cassette.yaml', '--fault', 'stall=3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('fault "stall=3": stall needs the chunk and the milliseconds');
    expect(r.stderr).toContain('traceforge replay --help');
  });
});

describe('traceforge replay misses', () => {
  it('prints a miss quoting a request with escape sequences without raw control characters', async () => {
    const trace = await recordScript(openaiChatStream({ text: splitTokens('one two') }), '/v1/chat/completions', CHAT_REQUEST);
    const path = await cassetteOf('cli-miss', [trace]);
    const evil = { ...CHAT_REQUEST, model: 'gpt\u001b]0;PWNED\u0007\u001b[2J\u009b31m', messages: [{ role: 'user', content: 'x\u001b]52;c;aGk=\u0007' }] };
    const r = await cli(['replay', path, '--port', '0', '--speed', '0'], async (url) => {
      await new Promise<void>((done) => {
        const req = request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => done());
        });
        req.on('error', () => done());
        req.end(JSON.stringify(evil));
      });
    });
    expect(r.stderr).toContain('miss');
    expect(r.stderr).toContain('PWNED');
    // eslint-disable-next-line no-control-regex
    expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });
});
