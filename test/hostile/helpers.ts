/** Shared helpers for the hostile-input tests: temp dirs, one-line error checks, raw sockets. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { TraceForgeError } from '../../src/errors.js';

export async function tempDir(prefix = 'tf-hostile-'): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The error `fn` throws (or its promise rejects with); fails the test when nothing is thrown. */
export async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error, got none');
}

/** A TraceForgeError whose message is one line and names `input`. */
export function expectOneLine(e: unknown, code: string, input?: string): TraceForgeError {
  if (!(e instanceof TraceForgeError)) throw new Error(`expected a TraceForgeError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
  expect(e.code).toBe(code);
  expect(e.message).not.toMatch(/[\r\n]/);
  if (input !== undefined) expect(e.message).toContain(input);
  return e;
}

/** Files in `dir` that a failed or finished write must not leave behind. */
export async function leftovers(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.tmp') || n.endsWith('.lock'));
}

/** What came back on a raw socket: everything the server sent before it closed (or `waitMs` of quiet in tests that keep it open). */
export interface RawReply {
  text: string;
  /** True when the server closed (FIN or reset) the connection. */
  closed: boolean;
}

/** Open a raw TCP connection to 127.0.0.1:port. */
export function openSocket(port: number): Promise<Socket> {
  return new Promise((ok, fail) => {
    const s = connect(port, '127.0.0.1', () => ok(s));
    s.once('error', fail);
  });
}

/** Collect what the server sends until it closes the connection. */
export function readUntilClose(s: Socket): Promise<string> {
  return new Promise((ok) => {
    let text = '';
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => ok(text));
  });
}

/** Send bytes, optionally half-close, and collect the reply until the server closes. */
export async function rawExchange(port: number, bytes: string, opts: { end?: boolean } = {}): Promise<string> {
  const s = await openSocket(port);
  const reply = readUntilClose(s);
  s.write(bytes, 'latin1');
  if (opts.end) s.end();
  return reply;
}

/** Send bytes and resolve with the first complete HTTP response head + body (by content-length), leaving the socket open. */
export function firstResponse(s: Socket): Promise<{ status: number; head: string; body: string }> {
  return new Promise((ok, fail) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.slice(0, end);
      const len = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      s.off('data', onData);
      ok({ status: Number(head.split(' ')[1]), head, body: buf.slice(end + 4, end + 4 + len) });
    };
    s.on('data', onData);
    s.once('close', () => fail(new Error(`closed before a full response; got ${JSON.stringify(buf)}`)));
  });
}

/** Status code of the first response line in a raw reply, or 0 when there was none. */
export function statusOf(reply: string): number {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(reply);
  return m ? Number(m[1]) : 0;
}

/** The error a synchronous `fn` throws; fails the test when nothing is thrown. */
export function caughtSync(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error, got none');
}
