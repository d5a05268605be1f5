/**
 * The real provider streams in fixtures/third-party-streams, turned into what `reconstruct` gets:
 * SSE and NDJSON bodies split with the project's own decoder and parsed the way build.ts parses a
 * chunk's data; a gzip body is gunzipped here, Bedrock's event stream decoded here with the AWS
 * SDK's codec (`:event-type` or `:exception-type` as the event, the JSON payload as the data).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { splitFrames } from '../../src/stream/framing.js';
import type { ReconstructInput, StreamChunk } from '../../src/trace/reconstruct.js';

export const CAPTURED_DIR = new URL('../../fixtures/third-party-streams/', import.meta.url);

export interface CapturedMeta {
  name: string;
  request: { method: string; path: string; headers: Record<string, string>; body: string };
  response: { status: number; headers: Array<[string, string]> };
}

export interface Captured {
  name: string;
  meta: CapturedMeta;
  body: Buffer;
  input: ReconstructInput;
}

export function capturedNames(): string[] {
  return readdirSync(CAPTURED_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

function parseData(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const header = (meta: CapturedMeta, name: string) => meta.response.headers.find(([k]) => k.toLowerCase() === name)?.[1];

/** Bedrock's `application/vnd.amazon.eventstream`: one chunk per message. */
export function eventStreamChunks(body: Uint8Array): StreamChunk[] {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const out: StreamChunk[] = [];
  let at = 0;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  while (at + 4 <= body.length) {
    const length = view.getUint32(at);
    const msg = codec.decode(body.subarray(at, at + length));
    at += length;
    const h = (k: string) => msg.headers[k]?.value as string | undefined;
    const event = h(':message-type') === 'exception' ? h(':exception-type') : h(':event-type');
    const chunk: StreamChunk = { data: parseData(toUtf8(msg.body)) };
    if (event !== undefined) chunk.event = event;
    out.push(chunk);
  }
  return out;
}

export function loadCaptured(name: string): Captured {
  const dir = new URL(`${name}/`, CAPTURED_DIR);
  const meta = JSON.parse(readFileSync(new URL('meta.json', dir), 'utf8')) as CapturedMeta;
  const body = readFileSync(new URL('body.bin', dir));
  const contentType = (header(meta, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const plain = header(meta, 'content-encoding')?.toLowerCase() === 'gzip' ? gunzipSync(body) : body;
  const url = meta.request.path;
  const endpoint = url.split('?')[0]!;
  const base = { endpoint, url, request: parseData(meta.request.body), requestHeaders: meta.request.headers, status: meta.response.status };
  let input: ReconstructInput;
  if (contentType === 'text/event-stream' || contentType === 'application/x-ndjson') {
    const frames = splitFrames(contentType === 'text/event-stream' ? 'sse' : 'ndjson', plain);
    const chunks = frames.map((f) => {
      const c: StreamChunk = {};
      if (f.event !== undefined) c.event = f.event;
      if (f.data !== undefined) c.data = parseData(f.data);
      return c;
    });
    input = { ...base, stream: true, chunks };
  } else if (contentType === 'application/vnd.amazon.eventstream') {
    input = { ...base, stream: true, chunks: eventStreamChunks(plain) };
  } else {
    input = { ...base, stream: false, chunks: [], body: parseData(plain.toString('utf8')) };
  }
  return { name, meta, body, input };
}

export const capturedPath = (name: string, file = 'body.bin') => join(new URL(`${name}/`, CAPTURED_DIR).pathname, file);

/** What derive_facts.py read from each stream's bytes, independently of TraceForge's code. */
export interface CapturedFacts {
  model: string | null;
  textLength: number;
  textSha256: string;
  tools: string[];
  finish: string | null;
  usage: [number | null, number | null] | null;
  reasoningLength: number | null;
}

let facts: Record<string, CapturedFacts> | undefined;
export const capturedFacts = (): Record<string, CapturedFacts> =>
  (facts ??= JSON.parse(readFileSync(new URL('facts.json', CAPTURED_DIR), 'utf8')) as Record<string, CapturedFacts>);

export const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
