import { seededRandom } from '../demo/simulated-upstream.js';

/**
 * The benchmark's jittered token stream: OpenAI chat completion chunks with gaps drawn from a seeded
 * PRNG, so every run and every tool sees the same stream. A quarter of gaps are bursts under 2 ms
 * (several events in one read), most are 5-30 ms token gaps, and 4 % are 60-300 ms stalls.
 */
export interface BenchStream {
  /** Each SSE event's exact bytes. */
  frames: Buffer[];
  /** ms from the first frame to each frame (the first is 0). */
  offsets: number[];
  /** ms from the request to the first frame. */
  ttfbMs: number;
}

export function benchGap(rand: () => number): number {
  const pick = rand();
  const x = rand();
  if (pick < 0.25) return x * 1.9;
  if (pick < 0.96) return 5 + x * 25;
  return 60 + x * 240;
}

export function jitteredStream(chunks: number, seed = 2026): BenchStream {
  const rand = seededRandom(seed);
  const base = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_764_000_000, model: 'gpt-4o-mini-2024-07-18', system_fingerprint: 'fp_bench' };
  const event = (delta: Record<string, unknown>, finish: string | null = null) =>
    Buffer.from(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`);
  const frames = [event({ role: 'assistant', content: '', refusal: null })];
  for (let i = 1; i < chunks - 2; i++) frames.push(event({ content: ` tok${i}${'.,;!?'[i % 5]}` }));
  frames.push(event({}, 'stop'));
  frames.push(Buffer.from('data: [DONE]\n\n'));
  let at = 0;
  const offsets = frames.map((_, i) => (i === 0 ? 0 : (at += benchGap(rand))));
  return { frames, offsets, ttfbMs: 25 };
}

/**
 * The same stream at another pace: every gap and the first-byte time multiplied by `scale`. The
 * session runs use it to fit 200 sequential calls into a bench run (at scale 0.04 a 200-chunk call
 * lasts about a fifth of a second, its stalls 2-10 ms and its token gaps 0.2-1.2 ms).
 */
export function scaledStream(stream: BenchStream, scale: number, ttfbMs = stream.ttfbMs * scale): BenchStream {
  return { frames: stream.frames, offsets: stream.offsets.map((x) => x * scale), ttfbMs };
}

/** The text the stream spells out, for content-position timing (see aimock-compare). */
export function streamText(stream: BenchStream): string {
  let text = '';
  for (const f of stream.frames) {
    const m = /"content":"((?:[^"\\]|\\.)*)"/.exec(f.toString('utf8'));
    if (m) text += JSON.parse(`"${m[1]}"`) as string;
  }
  return text;
}
