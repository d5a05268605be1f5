/**
 * Cohere through the interception: the official `cohere-ai` v2 client with its default environment
 * (https://api.cohere.com) over the global fetch, a captured tool-call stream recorded once and replayed
 * under CI with the upstream gone.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CohereClientV2 } from 'cohere-ai';
import { describe, expect, it } from 'vitest';
import { openCassette } from '../../src/session.js';
import { startCapturedUpstream } from '../providers/captured-upstream.js';

const DIR = new URL('../../fixtures/third-party-streams/cohere-tool-call/', import.meta.url);
const body = readFileSync(new URL('body.bin', DIR));
const meta = JSON.parse(readFileSync(new URL('meta.json', DIR), 'utf8')) as { response: { status: number; headers: Array<[string, string]> } };

function events(): Array<{ bytes: Uint8Array; gapMs: number }> {
  const text = body.toString('utf8');
  return text.split(/(?<=\n\n)/).map((e) => ({ bytes: new Uint8Array(Buffer.from(e, 'utf8')), gapMs: 2 }));
}

async function chat(): Promise<unknown[]> {
  const client = new CohereClientV2({ token: 'fake-cohere-token' });
  const out: unknown[] = [];
  for await (const e of await client.chatStream({ model: 'command-r', messages: [{ role: 'user', content: 'hi' }] })) out.push(e);
  return out;
}

describe('Cohere v2 chatStream with its default host, intercepted', () => {
  it('records through the global fetch to the upstream, replays under CI with it gone', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'tf-cohere-int-')), 'cohere.yaml');
    let hits = 0;
    const upstream = await startCapturedUpstream(() => {
      hits++;
      return { status: meta.response.status, headers: meta.response.headers, pieces: events() };
    });
    const rec = await openCassette(path, { mode: 'once', upstream: upstream.url, intercept: true, env: {} });
    let live: unknown[];
    try {
      live = await chat();
    } finally {
      await rec.close();
      await upstream.close();
    }
    expect(hits).toBe(1);
    expect(live.length).toBeGreaterThan(3);
    const replay = await openCassette(path, { mode: 'none', intercept: true, env: { CI: 'true' } });
    try {
      expect(await chat()).toEqual(live);
      expect(replay.misses).toEqual([]);
    } finally {
      await replay.close();
    }
    expect(hits).toBe(1);
  }, 30_000);
});
