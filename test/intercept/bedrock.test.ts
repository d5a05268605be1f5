/**
 * Bedrock through the interception: the official SDK with its default endpoint
 * (https://bedrock-runtime.us-east-1.amazonaws.com) over node:https, the captured binary event stream
 * recorded once and replayed with the upstream gone. Its default HTTP/2 handler cannot be served and
 * says so instead of reaching the network.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { describe, expect, it } from 'vitest';
import { openCassette } from '../../src/session.js';
import { startCapturedUpstream } from '../providers/captured-upstream.js';

const DIR = new URL('../../fixtures/third-party-streams/bedrock-converse/', import.meta.url);
const body = new Uint8Array(readFileSync(new URL('body.bin', DIR)));
const meta = JSON.parse(readFileSync(new URL('meta.json', DIR), 'utf8')) as { response: { status: number; headers: Array<[string, string]> } };

function messages(): Array<{ bytes: Uint8Array; gapMs: number }> {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const out: Array<{ bytes: Uint8Array; gapMs: number }> = [];
  for (let at = 0; at < body.length; ) {
    const end = at + view.getUint32(at);
    out.push({ bytes: body.slice(at, end), gapMs: 2 });
    at = end;
  }
  return out;
}

const credentials = { accessKeyId: 'AKIDFAKEFAKEFAKEFAKE', secretAccessKey: 'fake-secret-key' };

async function converse(client: BedrockRuntimeClient): Promise<unknown[]> {
  const out = await client.send(new ConverseStreamCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [{ role: 'user', content: [{ text: 'What is the capital of France?' }] }] }));
  const events: unknown[] = [];
  for await (const e of out.stream!) events.push(e);
  return events;
}

describe('Bedrock ConverseStream with its default endpoint, intercepted', () => {
  it('records over node:https to the upstream, replays under CI with it gone; HTTP/2 is refused with what to do', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'tf-bedrock-int-')), 'bedrock.yaml');
    let hits = 0;
    const upstream = await startCapturedUpstream(() => {
      hits++;
      return { status: meta.response.status, headers: meta.response.headers, pieces: messages() };
    });
    const client = new BedrockRuntimeClient({ region: 'us-east-1', requestHandler: new NodeHttpHandler(), credentials, maxAttempts: 1 });
    const rec = await openCassette(path, { mode: 'once', upstream: upstream.url, intercept: true, env: {} });
    let live: unknown[];
    try {
      live = await converse(client);
    } finally {
      await rec.close();
      await upstream.close();
    }
    expect(hits).toBe(1);
    expect(live).toHaveLength(33);

    const replay = await openCassette(path, { mode: 'none', intercept: true, env: { CI: 'true' } });
    try {
      expect(await converse(client)).toEqual(live);
      expect(replay.misses).toEqual([]);
      const http2Client = new BedrockRuntimeClient({ region: 'us-east-1', credentials, maxAttempts: 1 });
      await expect(converse(http2Client)).rejects.toThrow(/bedrock-runtime\.us-east-1\.amazonaws\.com is called over HTTP\/2.*requestHandler: new NodeHttpHandler\(\)/);
    } finally {
      await replay.close();
    }
    expect(hits).toBe(1);
  }, 30_000);
});
