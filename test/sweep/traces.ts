/**
 * Traces of the real provider streams in fixtures/third-party-streams, built the way the recorder
 * builds them (through its call assembler), so fault points are computed on what a cassette holds.
 */
import { readFileSync } from 'node:fs';
import { beginCall, endCall, headOf, readOf } from '../../src/record/call-assembler.js';
import type { Trace } from '../../src/trace/types.js';

const DIR = new URL('../../fixtures/third-party-streams/', import.meta.url);

interface Meta {
  request: { method: string; path: string; headers: Record<string, string>; body: string };
  response: { status: number; headers: Array<[string, string]> };
}

/** The fixture as one recorded call: its body in reads of `readSize` bytes, 1 ms apart. */
export function capturedTrace(name: string, readSize = 97): Trace {
  const dir = new URL(`${name}/`, DIR);
  const meta = JSON.parse(readFileSync(new URL('meta.json', dir), 'utf8')) as Meta;
  const body = new Uint8Array(readFileSync(new URL('body.bin', dir)));
  const call = beginCall(
    {
      t: 'start',
      id: name,
      timestamp: new Date(0).toISOString(),
      method: meta.request.method,
      url: meta.request.path,
      headers: meta.request.headers,
      body: new TextEncoder().encode(meta.request.body),
      upstream: 'http://upstream.example',
    },
    undefined,
  );
  headOf(call, { t: 'head', id: name, status: meta.response.status, statusMessage: 'OK', rawHeaders: meta.response.headers, headersMs: 1 });
  let n = 0;
  for (let at = 0; at < body.length; at += readSize) readOf(call, body.subarray(at, at + readSize), 2 + n++);
  return endCall(call, { t: 'end', id: name, outcome: 'complete', firstByteMs: 2, durationMs: 3 + n, endMs: 3 + n, maxLoopDelayMs: 0 });
}
