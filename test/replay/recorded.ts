/** Record a scripted upstream through the real recorder once, and keep the trace or a cassette of it. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { emptyCassette } from '../../src/cassette/codec.js';
import { startRecorder } from '../../src/record/recorder.js';
import { writeCassette } from '../../src/store/cassette-file.js';
import type { Trace } from '../../src/trace/types.js';
import { startFakeUpstream, type Script } from '../fakes/index.js';

/** Send `body` to `path` through a recorder in front of a fake upstream playing `script`. */
export async function recordScript(script: Script, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Trace> {
  const upstream = await startFakeUpstream(script);
  let trace: Trace | undefined;
  const rec = await startRecorder({ upstream: upstream.url, onTrace: (t) => void (trace = t) });
  try {
    await new Promise<void>((resolve) => {
      const u = new URL(path, rec.url);
      const payload = JSON.stringify(body);
      const req = request(u, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
        res.resume();
        res.on('end', resolve);
        res.on('error', () => resolve());
        res.on('aborted', () => resolve());
      });
      req.on('error', () => resolve());
      req.end(payload);
    });
    await rec.close();
  } finally {
    await upstream.close();
  }
  if (!trace) throw new Error('recordScript: no trace was recorded');
  return trace;
}

/** Write the traces as a cassette in a fresh temp directory; returns its path. */
export async function cassetteOf(name: string, traces: Trace[]): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'tf-replay-')), `${name}.yaml`);
  await writeCassette(path, { ...emptyCassette(), interactions: traces });
  return path;
}

export const CHAT_REQUEST = { model: 'gpt-4o-mini', stream: true as const, messages: [{ role: 'user' as const, content: 'Say hello' }] };
export const MESSAGES_REQUEST = { model: 'claude-haiku-4-5', max_tokens: 64, stream: true as const, messages: [{ role: 'user' as const, content: 'Say hello' }] };
