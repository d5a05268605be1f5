/**
 * Gemini Live through the official @google/genai client (which opens its session with `ws` in Node and
 * sends its key as `?key=`): its server frames are binary; the tape keeps the opcode, and replay sends
 * them back as binary frames the SDK decodes.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GoogleGenAI, Modality } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCassette } from '../../src/cassette/codec.js';
import { openCassette } from '../../src/session.js';
import { startGeminiLiveFake, type GeminiLiveFake } from '../fakes/gemini-live.js';

const WORK = join(resolve(import.meta.dirname, '../..'), '.tmp', `ws-gemini-${process.pid}`);
const KEY = 'AIzaLiveTestKey00000000000000000000';

/** An app: one Live turn, text out. */
async function askLive(question: string): Promise<string> {
  const ai = new GoogleGenAI({ apiKey: KEY });
  let text = '';
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const session = await ai.live.connect({
    model: 'gemini-live-2.5-flash-preview',
    config: { responseModalities: [Modality.TEXT] },
    callbacks: {
      onmessage: (m) => {
        for (const p of m.serverContent?.modelTurn?.parts ?? []) text += p.text ?? '';
        if (m.serverContent?.turnComplete) done();
      },
      onerror: () => done(),
      onclose: () => done(),
    },
  });
  session.sendClientContent({ turns: [{ role: 'user', parts: [{ text: question }] }], turnComplete: true });
  await Promise.race([finished, new Promise((r) => setTimeout(r, 15_000))]);
  session.close();
  return text;
}

describe('Gemini Live (binary frames) with @google/genai', () => {
  let fake: GeminiLiveFake;
  beforeAll(async () => {
    await mkdir(WORK, { recursive: true });
    fake = await startGeminiLiveFake();
  });
  afterAll(async () => {
    await fake.close();
    await rm(WORK, { recursive: true, force: true });
  });

  it('records binary frames as binary, without the key, and replays them to the SDK', async () => {
    const file = join(WORK, 'live.yaml');
    const rec = await openCassette(file, { mode: 'once', intercept: true, upstream: `http://127.0.0.1:${fake.port}`, traces: false, env: {} });
    try {
      expect(await askLive('hola')).toBe('echo: hola');
    } finally {
      await rec.close();
    }
    expect(fake.keys).toEqual([KEY]);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(KEY);
    const [t] = parseCassette(text, 'live.yaml').interactions;
    expect(t!.metadata.provider).toBe('gemini');
    expect(t!.http.url).toMatch(/BidiGenerateContent\?key=%5BREDACTED%5D$/);
    const server = t!.websocket!.frames.filter((f) => f.from === 'server');
    expect(server.map((f) => f.opcode)).toEqual(['binary', 'binary', 'binary', 'binary']);
    expect(JSON.parse(server[0]!.text!)).toEqual({ setupComplete: {} });

    await fake.close();
    const s = await openCassette(file, { mode: 'none', intercept: true, env: { CI: 'true' } });
    try {
      expect(await askLive('hola')).toBe('echo: hola');
      expect(s.misses).toEqual([]);
    } finally {
      await s.close();
    }
  }, 60_000);
});
