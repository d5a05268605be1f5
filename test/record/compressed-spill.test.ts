/**
 * A compressed stream past the in-memory limit: its decoded events spill to disk like any stream's,
 * its compressed reads stay in the trace for replay, and the stored file replays the bytes as received.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { startRecorder } from '../../src/record/recorder.js';
import { planPlayback } from '../../src/replay/plan.js';
import { createTraceStore } from '../../src/store/trace-store.js';
import { concatBytes, storedToBytes } from '../../src/stream/bytes.js';
import { parseTrace } from '../../src/trace/codec.js';
import { spilledOf } from '../../src/trace/spilled.js';
import type { Trace } from '../../src/trace/types.js';
import { startCapturedUpstream } from '../providers/captured-upstream.js';

describe('a compressed stream that spills', () => {
  it('stores its decoded events from the spill file and its compressed reads, and replays the compressed bytes', async () => {
    const events = Array.from({ length: 300 }, (_, i) => `event: delta\ndata: {"i":${i},"text":"word ${i}"}\n\n`).join('');
    const gz = gzipSync(Buffer.from(events));
    const pieces = Array.from({ length: Math.ceil(gz.length / 200) }, (_, i) => ({ bytes: gz.subarray(i * 200, i * 200 + 200), gapMs: 1 }));
    const upstream = await startCapturedUpstream(() => ({ status: 200, headers: [['content-type', 'text/event-stream'], ['content-encoding', 'gzip']], pieces }));
    const dir = await mkdtemp(join(tmpdir(), 'tf-gz-spill-'));
    const store = createTraceStore(dir);
    let trace: Trace | undefined;
    let path = '';
    const rec = await startRecorder({
      upstream: upstream.url,
      spillThresholdBytes: 4096,
      onTrace: async (t) => {
        trace = t;
        path = await store.save(t);
      },
    });
    try {
      const sent = await new Promise<Buffer>((resolve) => {
        const parts: Buffer[] = [];
        request(`${rec.url}/v1/stream`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve(Buffer.concat(parts)));
        }).end('{}');
      });
      await rec.flush();
      expect(sent.equals(gz)).toBe(true);
    } finally {
      await rec.close();
      await upstream.close();
    }
    expect(spilledOf(trace!)?.kind).toBe('chunks');
    const loaded = parseTrace(await readFile(path, 'utf8'), path);
    expect(loaded.chunks).toHaveLength(300);
    expect(Buffer.from(concatBytes(loaded.chunks!.map((c) => storedToBytes(c.raw, c.raw_encoding)))).toString()).toBe(events);
    expect(Buffer.from(concatBytes(planPlayback(loaded).pieces.map((p) => p.bytes))).equals(gz)).toBe(true);
    await rm(dir, { recursive: true, force: true });
  });
});
