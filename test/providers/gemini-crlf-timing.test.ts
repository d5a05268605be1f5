/**
 * Issue 12, item 5: the official `@google/genai` SDK only hands over an event once its whole `\r\n\r\n`
 * has arrived. The captured Gemini stream (CRLF) is served with every event's final LF in a read of its
 * own, 2 ms after the CR, and the events 60 ms apart. Recorded then replayed at speed 1, the SDK must
 * get the events 60 ms apart: when a frame ended at the CR, its LF was replayed with the next event,
 * so every event came one event late and the last two came together.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { GoogleGenAI } from '@google/genai';
import { afterAll, describe, expect, it } from 'vitest';
import { startRecorder } from '../../src/record/recorder.js';
import { startReplayServer } from '../../src/replay/replay-server.js';
import { appendToCassette } from '../../src/store/cassette-file.js';
import type { Trace } from '../../src/trace/types.js';
import { startCapturedUpstream, type Piece } from './captured-upstream.js';

const DIR = new URL('../../fixtures/third-party-streams/gemini-sse-crlf/', import.meta.url);
const body = new Uint8Array(readFileSync(new URL('body.bin', DIR)));
const meta = JSON.parse(readFileSync(new URL('meta.json', DIR), 'utf8')) as { response: { status: number; headers: Array<[string, string]> } };
const GAP = 60;

/** Each event but its last LF, then that LF alone 2 ms later; the next event GAP ms after the first. */
function lfApart(): Piece[] {
  const text = Buffer.from(body).toString('latin1');
  const pieces: Piece[] = [];
  let start = 0;
  for (let end = text.indexOf('\r\n\r\n'); end !== -1; end = text.indexOf('\r\n\r\n', start)) {
    const cr = end + 3;
    pieces.push({ bytes: body.slice(start, cr), gapMs: pieces.length === 0 ? 0 : GAP - 2 }, { bytes: body.slice(cr, cr + 1), gapMs: 2 });
    start = cr + 1;
  }
  expect(start).toBe(body.length);
  return pieces;
}

/** The SDK's stream: when (ms after the call) each chunk reached the app, and its text. */
async function timedStream(base: string): Promise<{ at: number[]; text: string }> {
  const ai = new GoogleGenAI({ apiKey: 'fake-key', httpOptions: { baseUrl: base } });
  const t0 = performance.now();
  const stream = await ai.models.generateContentStream({
    model: 'gemini-2.0-flash-exp',
    contents: [{ role: 'user', parts: [{ text: 'What is the capital of France?' }] }],
    config: { temperature: 0, systemInstruction: 'You are a helpful chatbot.' },
  });
  const at: number[] = [];
  let text = '';
  for await (const chunk of stream) {
    at.push(performance.now() - t0);
    text += chunk.text ?? '';
  }
  return { at, text };
}

describe('@google/genai over a CRLF stream whose LFs arrive in their own reads', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gets events recorded 60 ms apart 60 ms apart on replay, not together', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tf-genai-'));
    const cassette = join(dir, `${randomUUID()}.yaml`);
    const upstream = await startCapturedUpstream(() => ({ status: meta.response.status, headers: meta.response.headers, pieces: lfApart() }));
    const traces: Trace[] = [];
    const rec = await startRecorder({ upstream: upstream.url, onTrace: (t) => void traces.push(t) });
    let live: { at: number[]; text: string };
    try {
      live = await timedStream(rec.url);
      await rec.flush();
    } finally {
      await rec.close();
      await upstream.close();
    }
    expect(live.at).toHaveLength(3);
    const t = traces[0]!;
    // One chunk per event (no stray "\n" chunk), each ending with its own CRLF CRLF, about GAP apart.
    expect(t.total_chunks).toBe(3);
    expect(t.chunks!.every((c) => c.raw.endsWith('\r\n\r\n'))).toBe(true);
    // A quarter of the gap at least: on a busy machine the upstream may write an event late and the next
    // one half a gap after it, and stamps wander by 10-15 ms; the bug gave ~0.3 ms.
    for (const c of t.chunks!.slice(1)) expect(c.delta_ms).toBeGreaterThan(GAP / 4);

    await appendToCassette(cassette, traces);
    const replay = await startReplayServer({ cassette, speed: 1 });
    let replayed: { at: number[]; text: string };
    try {
      replayed = await timedStream(replay.url);
      expect(replay.misses).toEqual([]);
    } finally {
      await replay.close();
    }
    expect(replayed.text).toBe(live.text);
    expect(replayed.at).toHaveLength(3);
    // The SDK gets no event before the recording says it came, counted from the request (a lower bound
    // that holds however busy the machine is; sent together, the third would come ~120 ms early). How
    // close to the recorded time it comes is measured in the bench and on the virtual clock.
    let offset = 0;
    t.chunks!.forEach((c, i) => {
      offset += i === 0 ? 0 : c.delta_ms;
      expect(replayed.at[i]!).toBeGreaterThanOrEqual(offset - 1);
    });
  }, 20_000);
});
