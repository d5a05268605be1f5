/** Scripted Gemini `streamGenerateContent?alt=sse` streams: data-only SSE framed with CRLF, as Google sends it. */
import { SSE_HEADERS, jsonResponse, splitTokens, sse, streamScript, type Script, type TimingOptions } from './script.js';

export interface GeminiStreamOptions extends TimingOptions {
  modelVersion?: string;
  text?: string;
  thought?: string;
  functionCalls?: Array<{ name: string; args: Record<string, unknown> }>;
  finishReason?: string;
  usage?: { promptTokenCount: number; candidatesTokenCount: number };
  /** Line ending for the SSE framing: Google uses CRLF. */
  eol?: '\r\n' | '\n';
}

type Part = Record<string, unknown>;

/** The GenerateContentResponse slices, one per event. */
export function geminiChunks(opts: GeminiStreamOptions = {}): Array<Record<string, unknown>> {
  const modelVersion = opts.modelVersion ?? 'gemini-2.5-flash';
  const u = opts.usage ?? { promptTokenCount: 9, candidatesTokenCount: 6 };
  const slices: Part[][] = [];
  if (opts.thought) for (const t of splitTokens(opts.thought)) slices.push([{ text: t, thought: true }]);
  const text = opts.text ?? (opts.functionCalls ? undefined : 'Hello there!');
  if (text !== undefined) {
    // Gemini sends a few tokens per event, not one.
    const tokens = splitTokens(text);
    for (let i = 0; i < tokens.length; i += 3) slices.push([{ text: tokens.slice(i, i + 3).join('') }]);
  }
  if (opts.functionCalls?.length) slices.push(opts.functionCalls.map((fc) => ({ functionCall: fc })));
  return slices.map((parts, i) => {
    const last = i === slices.length - 1;
    const candidate: Record<string, unknown> = { content: { parts, role: 'model' }, index: 0 };
    if (last) candidate['finishReason'] = opts.finishReason ?? 'STOP';
    const usageMetadata = last ? { ...u, totalTokenCount: u.promptTokenCount + u.candidatesTokenCount } : { promptTokenCount: u.promptTokenCount, totalTokenCount: u.promptTokenCount };
    return { candidates: [candidate], usageMetadata, modelVersion, responseId: 'fakeResp123' };
  });
}

export function geminiStream(opts: GeminiStreamOptions = {}): Script {
  return streamScript(geminiChunks(opts).map((c) => sse(c, undefined, opts.eol ?? '\r\n')), SSE_HEADERS, opts);
}

/** `:streamGenerateContent` without `alt=sse`: one JSON array of the same slices. */
export function geminiJsonArray(opts: GeminiStreamOptions = {}): Script {
  return jsonResponse(geminiChunks(opts));
}
