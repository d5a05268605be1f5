import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildTrace, type CapturedCall, type PreparedFrame } from '../trace/build.js';
import { attachSpilled } from '../trace/spilled.js';
import type { BodyRead, Trace, TraceChunk } from '../trace/types.js';
import type { AssemblingCall } from './call-assembler.js';

/**
 * Big bodies go to disk as they arrive. Below the threshold a call's frames stay in memory; past it,
 * every prepared frame is appended to a file in a private temp directory and the in-memory copies are
 * dropped, so a 200 MB stream or a million chunks record in bounded memory. The trace then carries a
 * reader for its chunks (see trace/spilled.ts) and the trace store streams them into the trace file.
 */
/** What a kept frame costs beyond its bytes (the frame, its parsed data, its stored text), roughly. */
const FRAME_OVERHEAD = 512;

/**
 * Memory a call may use for its body before it spills: body bytes plus a per-frame overhead, so a
 * million tiny chunks spill as early as a few big ones. 8 MiB unless TRACEFORGE_SPILL_BYTES says
 * otherwise; each recorder may set its own (`spillThresholdBytes`).
 */
export function defaultSpillThreshold(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.TRACEFORGE_SPILL_BYTES);
  return n > 0 ? n : 8 * 1024 * 1024;
}

export interface Spill {
  path: string;
  fd: number;
  count: number;
  bytes: number;
  firstAt?: number;
  lastAt?: number;
  /** Lines not yet written: one write per ~256 KiB instead of one per frame. */
  pending: string[];
  pendingBytes: number;
}

let dir: string | undefined;
const live = new Set<string>();
// The owner's pid is in the name, so a later recorder can tell a directory left by a killed process.
const PREFIX = 'traceforge-spill-';
function spillDir(): string {
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
    // Spill files outlive the call only until the trace is written; whatever is left goes with the process.
    process.once('exit', () => rmSync(dir!, { recursive: true, force: true }));
  }
  return dir;
}
/** The spill files of calls in flight and of traces not yet collected (for tests that check they hold no secret). */
export function spillFiles(): string[] {
  return [...live];
}
const collect = new FinalizationRegistry<string>((path) => {
  live.delete(path);
  rmSync(path, { force: true });
});

function flush(s: Spill): void {
  if (s.pending.length === 0) return;
  writeSync(s.fd, s.pending.join(''));
  s.pending = [];
  s.pendingBytes = 0;
}

function write(s: Spill, p: PreparedFrame, bytes: number): void {
  const line = `${JSON.stringify(p.chunk ? { at: p.at, chunk: p.chunk } : { at: p.at, raw: p.raw, raw_encoding: p.raw_encoding })}\n`;
  s.pending.push(line);
  s.pendingBytes += line.length;
  s.count++;
  s.bytes += bytes;
  s.firstAt ??= p.at;
  s.lastAt = p.at;
  if (s.pendingBytes > 256 * 1024) flush(s);
}

/**
 * Account for one more frame; past the threshold, move everything to the spill file. Returns true
 * when the frame was spilled (the caller then keeps no copy).
 */
export function spillFrame(call: AssemblingCall & { spill?: Spill; memoryBytes?: number }, prepared: PreparedFrame, bytes: number): boolean {
  const threshold = call.spillThreshold;
  if (call.spill) {
    write(call.spill, prepared, bytes);
    return true;
  }
  call.memoryBytes = (call.memoryBytes ?? 0) + bytes + FRAME_OVERHEAD;
  if (call.memoryBytes <= threshold) return false;
  const path = join(spillDir(), `${call.id}.ndjson`);
  const s: Spill = { path, fd: openSync(path, 'w'), count: 0, bytes: 0, pending: [], pendingBytes: 0 };
  live.add(path);
  (call.prepared ?? []).forEach((p, i) => write(s, p, call.frames[i]?.frame.raw.length ?? 0));
  write(s, prepared, bytes);
  call.spill = s;
  call.frames = [];
  call.prepared = [];
  return true;
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

async function* readBack(path: string): AsyncIterable<TraceChunk | BodyRead> {
  const lines = createInterface({ input: createReadStream(path, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  let prev = 0;
  let i = 0;
  for await (const line of lines) {
    if (line === '') continue;
    const rec = JSON.parse(line) as { at: number; chunk?: TraceChunk; raw?: string; raw_encoding?: 'base64' };
    // Same rounding as buildTrace: deltas of rounded offsets, so their running sum reproduces each offset.
    const delta = i === 0 ? 0 : Math.max(0, round3(rec.at - prev));
    prev = i === 0 ? rec.at : prev + delta;
    i++;
    if (rec.chunk) yield { ...rec.chunk, delta_ms: delta };
    else yield rec.raw_encoding ? { delta_ms: delta, raw: rec.raw!, raw_encoding: rec.raw_encoding } : { delta_ms: delta, raw: rec.raw! };
  }
}

/**
 * Build the call's trace: as usual when it stayed in memory; for a spilled call, every field but the
 * pieces comes from the usual builder, and the pieces stay on disk behind a reader. The reconstructed
 * `response` is left out for a spilled call: rebuilding it would hold the whole body in memory.
 */
export function finishTrace(call: AssemblingCall & { spill?: Spill }, captured: CapturedCall): Trace {
  const s = call.spill;
  if (!s || captured.frames !== call.frames) return buildTrace(captured);
  flush(s);
  closeSync(s.fd);
  const trace = buildTrace({ ...captured, frames: [], prepared: [] });
  const stream = (captured.response?.framing ?? 'raw') !== 'raw';
  trace.response = { traceforge_note: `not reconstructed: the body was ${s.bytes} bytes in ${s.count} pieces, over the ${call.spillThreshold}-byte in-memory limit; the chunks are complete` };
  if (stream) {
    trace.total_chunks = s.count;
    trace.stream_duration_ms = round3((s.lastAt ?? 0) - (s.firstAt ?? 0));
    trace.first_chunk_latency_ms = round3(captured.firstByteMs ?? s.firstAt ?? 0);
    delete trace.chunks;
    delete trace.first_content_latency_ms;
  } else delete trace.http.body;
  const path = s.path;
  collect.register(trace, path);
  return attachSpilled(trace, { kind: stream ? 'chunks' : 'body', count: s.count, bytes: s.bytes, read: () => readBack(path) });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Remove spill directories whose recorder is gone. A process killed with SIGKILL never runs its exit
 * hook, so its spill files (redacted, but still the bodies of real calls) stayed in the temp directory.
 * Returns the directories removed.
 */
export async function sweepStaleSpills(root: string = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return removed;
  }
  for (const name of names) {
    const owner = new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
    if (!owner || Number(owner[1]) === process.pid || alive(Number(owner[1]))) continue;
    await rm(join(root, name), { recursive: true, force: true }).catch(() => {});
    removed.push(join(root, name));
  }
  return removed;
}
