/**
 * One example test per fault, written the way an app's suite would use them: `useCassette` with
 * `faults`, and the official SDK as the client. The fault section of docs/testing.md mirrors these.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useCassette } from '../../src/vitest.js';
import { anthropicStream, openaiChatStream, splitTokens } from '../fakes/index.js';
import { CHAT_REQUEST, MESSAGES_REQUEST, cassetteOf, recordScript } from './recorded.js';

const TEXT = 'Streams can fail halfway, and your app should cope with that gracefully.';
// Recorded once through the real recorder; every block below replays the same cassette with other faults.
const chat = await cassetteOf('chat', [await recordScript(openaiChatStream({ text: splitTokens(TEXT), gaps: 2 }), '/v1/chat/completions', CHAT_REQUEST)]);
const messages = await cassetteOf('messages', [
  await recordScript(anthropicStream({ text: TEXT }, { gaps: 2 }), '/v1/messages', MESSAGES_REQUEST, { 'anthropic-version': '2023-06-01' }),
]);

/** What an app does with a chat stream: collect the text. */
async function ask(baseURL: string, opts: { maxRetries?: number; signal?: AbortSignal } = {}): Promise<string> {
  const openai = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: 'test', maxRetries: opts.maxRetries ?? 0 });
  let text = '';
  const stream = await openai.chat.completions.create({ ...(CHAT_REQUEST as OpenAI.Chat.ChatCompletionCreateParamsStreaming), stream: true }, { signal: opts.signal });
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}

describe('no fault: the recording as it was', () => {
  const cassette = useCassette(chat, { mode: 'none', speed: 0 });
  it('streams the whole reply', async () => {
    expect(await ask(cassette.url)).toBe(TEXT);
  });
});

describe('drop-after=N: the connection closes after chunk N', () => {
  const cassette = useCassette(chat, { mode: 'none', speed: 0, faults: ['drop-after=3'] });
  it('the openai SDK sees the drop as an error, after the first tokens arrived', async () => {
    let seen = '';
    const openai = new OpenAI({ baseURL: `${cassette.url}/v1`, apiKey: 'test', maxRetries: 0 });
    const stream = await openai.chat.completions.create(CHAT_REQUEST);
    await expect(
      (async () => {
        for await (const chunk of stream) seen += chunk.choices[0]?.delta?.content ?? '';
      })(),
    ).rejects.toThrow();
    // Chunk 1 is the role chunk; chunks 2 and 3 carried the first two tokens.
    expect(seen).toBe(splitTokens(TEXT).slice(0, 2).join(''));
  });
});

describe('stall=K:MS: chunk K arrives MS late', () => {
  const cassette = useCassette(chat, { mode: 'none', speed: 0, faults: ['stall=4:2000'] });
  it("the app's idle timeout fires instead of hanging", async () => {
    // The app under test: abort when no chunk arrives for 300 ms.
    const controller = new AbortController();
    let idle: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(new Error('idle timeout')), 300);
    };
    arm();
    const openai = new OpenAI({ baseURL: `${cassette.url}/v1`, apiKey: 'test', maxRetries: 0 });
    const stream = await openai.chat.completions.create(CHAT_REQUEST, { signal: controller.signal });
    let chunks = 0;
    try {
      for await (const _ of stream) {
        chunks++;
        arm();
      }
    } catch {
      // aborted
    } finally {
      clearTimeout(idle);
    }
    expect(controller.signal.aborted).toBe(true);
    expect(chunks).toBe(3);
  });
});

describe('status=CODE[:RETRY_AFTER]@N: an error status before any byte', () => {
  const cassette = useCassette(chat, { mode: 'none', speed: 0, faults: ['status=429:1@1'] });
  it('the SDK waits retry-after, retries, and gets the recording', async () => {
    expect(await ask(cassette.url, { maxRetries: 2 })).toBe(TEXT);
  });
});

describe('status=529 on every request (Anthropic overloaded)', () => {
  const cassette = useCassette(messages, { mode: 'none', speed: 0, faults: ['status=529'] });
  it('the anthropic SDK raises its APIError with the overloaded status after its retries', async () => {
    const anthropic = new Anthropic({ baseURL: cassette.url, apiKey: 'test', maxRetries: 0 });
    await expect(anthropic.messages.create(MESSAGES_REQUEST)).rejects.toMatchObject({ status: 529, error: { error: { type: 'overloaded_error' } } });
  });
});

describe("error-event=N: the provider's own error event after chunk N", () => {
  const anthropicCassette = useCassette(messages, { mode: 'none', speed: 0, faults: ['error-event=4'] });
  const openaiCassette = useCassette(chat, { mode: 'none', speed: 0, faults: ['error-event=3'] });
  it('the anthropic SDK surfaces overloaded_error mid-stream', async () => {
    const anthropic = new Anthropic({ baseURL: anthropicCassette.url, apiKey: 'test', maxRetries: 0 });
    const stream = anthropic.messages.stream(MESSAGES_REQUEST);
    await expect(stream.finalMessage()).rejects.toMatchObject({ error: { type: 'error', error: { type: 'overloaded_error' } } });
  });
  it('the openai SDK throws the APIError carried by data: {"error": ...}', async () => {
    await expect(ask(openaiCassette.url)).rejects.toMatchObject({ constructor: OpenAI.APIError, error: { type: 'server_error' } });
  });
});

describe('truncate-json=N: chunk N carries half its JSON', () => {
  const cassette = useCassette(chat, { mode: 'none', speed: 0, faults: ['truncate-json=5'] });
  it('the openai SDK fails to parse the event', async () => {
    await expect(ask(cassette.url)).rejects.toThrow(SyntaxError);
  });
});
