/**
 * Real traces for the gen tests: each official SDK (and Ollama's NDJSON) talks to a fake provider
 * through the recorder, exactly as an app under `traceforge record` would.
 */
import Anthropic from '@anthropic-ai/sdk';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { startRecorder } from '../../src/record/recorder.js';
import { createTraceStore } from '../../src/store/trace-store.js';
import type { Trace } from '../../src/trace/types.js';
import {
  anthropicStream,
  geminiStream,
  jitterGaps,
  ollamaChatStream,
  openaiChatStream,
  openaiResponsesStream,
  startFakeUpstream,
  type Script,
} from '../fakes/index.js';

export const ANSWERS = {
  chat: 'The capital of France is Paris.',
  responses: 'Hamlet avenges his father and almost everyone dies.',
  anthropic: 'Let me look up flights from Paris to Tokyo.',
  ollama: 'Sunlight scatters off air molecules, and blue light scatters the most.',
  gemini: 'Red, yellow and blue.',
  paced: 'One, two, three, four, five.',
} as const;

export interface RecordedTraces {
  chat: Trace;
  tools: Trace;
  responses: Trace;
  anthropic: Trace;
  ollama: Trace;
  /** Gemini's CRLF-framed SSE, called with plain fetch and the key in the query string. */
  gemini: Trace;
  /** Recorded with real gaps (about 0.3 s in all), for `--timing recorded`. */
  paced: Trace;
}

const WEATHER_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['city'] },
  },
};

const FLIGHTS_TOOL = {
  name: 'search_flights',
  description: 'Search flights between two airports',
  input_schema: { type: 'object' as const, properties: { from: { type: 'string' }, to: { type: 'string' }, passengers: { type: 'integer' } }, required: ['from', 'to'] },
};

function script(req: { url: string; json: unknown }): Script {
  const body = req.json as { tools?: unknown[]; messages?: Array<{ content: unknown }> };
  const fast = { gaps: 1 };
  if (req.url.startsWith('/v1/chat/completions')) {
    const asked = String(body.messages?.[0]?.content ?? '');
    if (body.tools) return openaiChatStream({ ...fast, toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' }], includeUsage: true });
    if (asked.startsWith('Count')) return { ...openaiChatStream({ text: ANSWERS.paced, gaps: jitterGaps(11, 12, { stall: 0 }) }), headersDelayMs: 60 };
    return openaiChatStream({ ...fast, text: ANSWERS.chat, includeUsage: true });
  }
  if (req.url.startsWith('/v1/responses')) return openaiResponsesStream({ ...fast, text: ANSWERS.responses });
  if (req.url.startsWith('/v1/messages')) {
    return anthropicStream({ text: ANSWERS.anthropic, toolUse: { name: 'search_flights', input: { from: 'CDG', to: 'HND', passengers: 2 } } }, fast);
  }
  if (req.url.startsWith('/api/chat')) return ollamaChatStream({ ...fast, text: ANSWERS.ollama });
  if (req.url.includes(':streamGenerateContent')) return geminiStream({ ...fast, text: ANSWERS.gemini, functionCalls: [{ name: 'paint', args: { colour: 'red' } }] });
  throw new Error(`no fake for ${req.url}`);
}

/** Record one trace per SDK into `tracesDir` (a trace store) and return them. */
export async function recordTraces(tracesDir: string): Promise<RecordedTraces> {
  const upstream = await startFakeUpstream(script);
  const store = createTraceStore(tracesDir);
  const seen: Trace[] = [];
  const rec = await startRecorder({ upstream: upstream.url, onTrace: async (t) => void seen.push(t) });
  const last = async () => {
    await rec.flush();
    const t = seen.at(-1)!;
    await store.save(t);
    return t;
  };
  try {
    const openai = new OpenAI({ baseURL: `${rec.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
    const user = (content: string) => [{ role: 'user' as const, content }];

    await openai.chat.completions.stream({ model: 'gpt-4o-mini', messages: user('What is the capital of France?'), stream_options: { include_usage: true } }).finalChatCompletion();
    const chat = await last();
    await openai.chat.completions
      .stream({ model: 'gpt-4o-mini', messages: user('What is the weather in Paris?'), tools: [WEATHER_TOOL], stream_options: { include_usage: true } })
      .finalChatCompletion();
    const tools = await last();
    await openai.responses.stream({ model: 'gpt-4.1-mini', input: 'Summarise the plot of Hamlet in one line.' }).finalResponse();
    const responses = await last();

    const anthropic = new Anthropic({ baseURL: rec.url, apiKey: 'sk-ant-test', maxRetries: 0 });
    await anthropic.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 256, tools: [FLIGHTS_TOOL], messages: user('Find me flights from Paris to Tokyo for two.') }).finalMessage();
    const anthropicTrace = await last();

    const ollama = new Ollama({ host: rec.url });
    for await (const part of await ollama.chat({ model: 'llama3.2', messages: user('Why is the sky blue?'), stream: true })) void part;
    const ollamaTrace = await last();

    const gemini = await fetch(`${rec.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=AIzaSyFakeKeyFakeKeyFakeKeyFakeKey12345`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Name the three primary colours.' }] }] }),
    });
    await gemini.text();
    const geminiTrace = await last();

    await openai.chat.completions.stream({ model: 'gpt-4o-mini', messages: user('Count to five.') }).finalChatCompletion();
    const paced = await last();
    return { chat, tools, responses, anthropic: anthropicTrace, ollama: ollamaTrace, gemini: geminiTrace, paced };
  } finally {
    await rec.close();
    await upstream.close();
  }
}
