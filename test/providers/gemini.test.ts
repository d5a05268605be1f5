import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/trace/reconstruct.js';
import { geminiStream, jsonResponse } from '../fakes/index.js';
import { recordThenReplay, type ClientTarget } from './harness.js';

// @google/genai is not a dependency; this is the request it makes (GOOGLE_GEMINI_BASE_URL + /v1beta/models/...).
const KEY = 'AIzaSyProviderTestKeyMustNeverReachDisk00';
async function streamGemini({ base, fetch }: ClientTarget, model = 'gemini-2.5-flash') {
  const res = await fetch(`${base}/v1beta/models/${model}:streamGenerateContent?alt=sse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': KEY },
    body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
  });
  const body = await res.text();
  // What a client does with it: split events on blank lines (CRLF or LF) and join the parts.
  const events = body.split(/\r\n\r\n|\n\n/).filter((e) => e.startsWith('data:')).map((e) => JSON.parse(e.slice(5)) as { candidates: Array<{ content: { parts: Array<Record<string, unknown>> } }> });
  const parts = events.flatMap((e) => e.candidates[0]!.content.parts);
  return { text: parts.map((p) => (typeof p.text === 'string' && !p.thought ? p.text : '')).join(''), calls: parts.filter((p) => p.functionCall).map((p) => p.functionCall) };
}

describe('Gemini streamGenerateContent?alt=sse through record and replay', () => {
  it('CRLF-framed events: same bytes, text and function call rebuilt into one GenerateContentResponse', async () => {
    const opts = { text: 'Gemini sends a few tokens per event, framed with CRLF.', thought: 'Short thought.', functionCalls: [{ name: 'lookup', args: { q: 'crlf' } }], gaps: 1 };
    const rt = await recordThenReplay({ gemini: () => geminiStream(opts) }, (t) => streamGemini(t));
    expect(rt.live).toEqual({ text: opts.text, calls: [{ name: 'lookup', args: { q: 'crlf' } }] });
    expect(rt.replayed).toEqual(rt.live);
    expect(rt.liveBodies[0]!.toString()).toContain('\r\n\r\n');
    expect(rt.liveBodies[0]!.toString()).toBe(rt.upstreamBodies[0]);
    expect(rt.replayBodies[0]!.equals(rt.liveBodies[0]!)).toBe(true);

    const trace = rt.traces[0]!;
    expect(trace.metadata).toMatchObject({ provider: 'gemini', model: 'gemini-2.5-flash', stream: true, status: 'success' });
    expect(trace.chunks!.every((c) => c.raw.endsWith('\r\n\r\n'))).toBe(true);
    const summary = summarize('gemini', trace.response);
    expect(summary.text).toBe(opts.text);
    expect(summary.reasoning).toBe('Short thought.');
    expect(summary.tool_calls).toEqual([expect.objectContaining({ name: 'lookup', arguments: { q: 'crlf' } })]);
    expect(summary.usage).toMatchObject({ input_tokens: 9, output_tokens: 6 });
    expect(trace.first_content_latency_ms!).toBeGreaterThanOrEqual(trace.first_chunk_latency_ms!);
    expect(JSON.stringify(trace)).not.toContain(KEY);
  });

  it('a non-stream generateContent call is recorded whole', async () => {
    const body = { candidates: [{ content: { role: 'model', parts: [{ text: 'Whole answer.' }] }, finishReason: 'STOP', index: 0 }], modelVersion: 'gemini-2.5-flash' };
    const rt = await recordThenReplay({ gemini: () => jsonResponse(body) }, async ({ base, fetch }) => {
      const res = await fetch(`${base}/v1beta/models/gemini-2.5-flash:generateContent`, { method: 'POST', headers: { 'x-goog-api-key': KEY }, body: '{"contents":[]}' });
      return res.json();
    });
    expect(rt.live).toEqual(body);
    expect(rt.replayed).toEqual(body);
    expect(rt.traces[0]!.metadata).toMatchObject({ provider: 'gemini', stream: false, model: 'gemini-2.5-flash' });
  });
});
