import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A built-in OpenAI-compatible upstream for `traceforge demo`: streams a chat completion with
 * realistic, seeded jitter (bursts under 2 ms, 5-30 ms token gaps, occasional 60-300 ms stalls),
 * and answers non-streaming calls with one JSON body. No network, no key.
 */
export interface SimulatedUpstream {
  url: string;
  close(): Promise<void>;
}

const REPLY =
  'TraceForge recorded this reply chunk by chunk. In CI it plays back the same bytes, ' +
  'each event in its own frame, at the offset it first arrived, with no network and no API key. ' +
  'Stalls like the one you just saw are part of the recording, so your loading states get tested too.';

/** Mulberry32: tiny, seeded, good enough for timing jitter. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function jitteredGap(rand: () => number): number {
  const r = rand();
  if (r < 0.25) return rand() * 2;
  if (r < 0.96) return 5 + rand() * 25;
  return 60 + rand() * 240;
}

function tokens(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [text];
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(body) as Record<string, unknown>);
      } catch {
        resolve({});
      }
    });
  });
}

export async function startSimulatedUpstream(seed = 42): Promise<SimulatedUpstream> {
  const server = createServer({ noDelay: true }, async (req, res) => {
    const body = await readJson(req);
    const model = typeof body.model === 'string' ? body.model : 'gpt-4o-mini';
    const created = 1_764_000_000;
    const id = 'chatcmpl-demo';
    if (req.url?.split('?')[0] !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `the demo upstream only serves /v1/chat/completions, not ${req.url}` } }));
      return;
    }
    if (!body.stream) {
      const payload = JSON.stringify({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the simulated upstream.', refusal: null }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 },
      });
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
        res.end(payload);
      }, 120);
      return;
    }
    const rand = seededRandom(seed);
    const parts = tokens(REPLY);
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const frames = [chunk({ role: 'assistant', content: '' }), ...parts.map((p) => chunk({ content: p })), chunk({}, 'stop')];
    frames.push(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: { prompt_tokens: 14, completion_tokens: parts.length, total_tokens: 14 + parts.length } })}\n\n`);
    frames.push('data: [DONE]\n\n');
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.flushHeaders();
    // Absolute schedule so the demo's own upstream does not drift either.
    const start = performance.now() + 180;
    let at = 0;
    frames.forEach((f, i) => {
      if (i > 0) at += jitteredGap(rand);
      const due = start + at;
      setTimeout(() => {
        if (res.destroyed) return;
        res.write(f);
        if (i === frames.length - 1) res.end();
      }, Math.max(0, due - performance.now()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
