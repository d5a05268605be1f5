/**
 * One fake upstream for every provider an app module talks to: it answers by path, and each answer
 * echoes the prompt it got, so a replayed answer proves which request it was recorded for.
 */
import { anthropicStream, geminiStream, jsonResponse, ollamaChatStream, openaiChatJson, openaiChatStream, openaiResponsesStream, startFakeUpstream, type FakeUpstream, type Script } from '../fakes/index.js';

type Json = Record<string, any>;

function promptOf(path: string, body: Json): string {
  if (path.startsWith('/v1/responses')) return typeof body.input === 'string' ? body.input : (body.input?.[0]?.content?.[0]?.text ?? body.input?.[0]?.content ?? '');
  if (path.includes(':streamGenerateContent') || path.includes(':generateContent')) return body.contents?.[0]?.parts?.[0]?.text ?? '';
  if (path.startsWith('/v1/summarize')) return body.text ?? '';
  const m = body.messages?.[body.messages.length - 1]?.content;
  return typeof m === 'string' ? m : (m?.[0]?.text ?? '');
}

/** Gaps between events, in ms: small enough to keep tests fast, big enough to see on the client. */
export function anyProviderScript(path: string, body: Json, gaps = 3): Script {
  const q = promptOf(path, body);
  if (path.startsWith('/v1/chat/completions')) return body.stream ? openaiChatStream({ text: `openai says ${q}`, gaps }) : openaiChatJson({ text: `openai says ${q}` });
  if (path.startsWith('/v1/responses')) return openaiResponsesStream({ text: `responses says ${q}`, gaps });
  if (path.startsWith('/v1/messages')) return anthropicStream({ text: `anthropic says ${q}` }, { gaps });
  if (path.startsWith('/api/chat')) return ollamaChatStream({ text: `ollama says ${q}`, gaps });
  if (path.includes(':streamGenerateContent')) return geminiStream({ text: `gemini says ${q}`, gaps });
  if (path.startsWith('/v1/summarize')) return jsonResponse({ summary: `summary of ${q}` });
  return jsonResponse({ error: { message: `the fake has no answer for ${path}` } }, 404);
}

export function startAnyProviderFake(gaps = 3): Promise<FakeUpstream> {
  return startFakeUpstream((req) => anyProviderScript(req.url, (req.json ?? {}) as Json, gaps));
}
