/** Scripted OpenAI Chat Completions streams: data-only SSE, role chunk first, `[DONE]` last. */
import { SSE_HEADERS, jsonResponse, splitEven, splitTokens, sse, streamScript, type Script, type TimingOptions } from './script.js';

export interface FakeToolCall {
  id?: string;
  name: string;
  /** Whole JSON text (split into a few deltas) or the exact deltas to send. */
  arguments: string | string[];
}

export interface FakeChoice {
  /** Whole text (split into word tokens) or the exact deltas. */
  text?: string | string[];
  toolCalls?: FakeToolCall[];
  finishReason?: string;
}

export interface OpenAIChatStreamOptions extends TimingOptions, FakeChoice {
  model?: string;
  id?: string;
  created?: number;
  systemFingerprint?: string;
  /** Several choices (n > 1); their chunks are interleaved as the API does. Overrides text/toolCalls. */
  choices?: FakeChoice[];
  /** Emit `usage: null` on every chunk and a final usage chunk, as `stream_options.include_usage` does. */
  includeUsage?: boolean;
  usage?: { prompt_tokens: number; completion_tokens: number };
  /** Leave out the trailing `data: [DONE]`. */
  omitDone?: boolean;
}

const pieces = (v: string | string[] | undefined, split: (s: string) => string[]): string[] => (v === undefined ? [] : Array.isArray(v) ? v : split(v));

function choiceDeltas(c: FakeChoice): Array<Record<string, unknown>> {
  const tools = c.toolCalls ?? [];
  const deltas: Array<Record<string, unknown>> = [{ role: 'assistant', content: c.text === undefined && tools.length ? null : '', refusal: null }];
  for (const t of pieces(c.text, splitTokens)) deltas.push({ content: t });
  tools.forEach((tool, index) => {
    const id = tool.id ?? `call_${index}_${tool.name}`;
    deltas.push({ tool_calls: [{ index, id, type: 'function', function: { name: tool.name, arguments: '' } }] });
    for (const a of pieces(tool.arguments, (s) => splitEven(s, 4))) deltas.push({ tool_calls: [{ index, function: { arguments: a } }] });
  });
  return deltas;
}

/** The JSON bodies of the stream's events, `[DONE]` excluded. */
export function openaiChatChunks(opts: OpenAIChatStreamOptions = {}): Array<Record<string, unknown>> {
  const base = { id: opts.id ?? 'chatcmpl-fake123', object: 'chat.completion.chunk', created: opts.created ?? 1_700_000_000, model: opts.model ?? 'gpt-4o-mini-2024-07-18', system_fingerprint: opts.systemFingerprint ?? 'fp_fake' };
  const choices = opts.choices ?? [{ text: opts.text ?? (opts.toolCalls ? undefined : 'Hello there!'), toolCalls: opts.toolCalls, finishReason: opts.finishReason }];
  const perChoice = choices.map(choiceDeltas);
  const extra = opts.includeUsage ? { usage: null } : {};
  const out: Array<Record<string, unknown>> = [];
  const longest = Math.max(...perChoice.map((d) => d.length));
  for (let step = 0; step < longest; step++) {
    perChoice.forEach((deltas, index) => {
      if (step < deltas.length) out.push({ ...base, choices: [{ index, delta: deltas[step], logprobs: null, finish_reason: null }], ...extra });
    });
  }
  choices.forEach((c, index) => {
    const finish = c.finishReason ?? (c.toolCalls?.length ? 'tool_calls' : 'stop');
    out.push({ ...base, choices: [{ index, delta: {}, logprobs: null, finish_reason: finish }], ...extra });
  });
  if (opts.includeUsage) {
    const u = opts.usage ?? { prompt_tokens: 12, completion_tokens: 7 };
    out.push({ ...base, choices: [], usage: { ...u, total_tokens: u.prompt_tokens + u.completion_tokens } });
  }
  return out;
}

export function openaiChatStream(opts: OpenAIChatStreamOptions = {}): Script {
  const frames = openaiChatChunks(opts).map((c) => sse(c));
  if (!opts.omitDone) frames.push(sse('[DONE]'));
  return streamScript(frames, SSE_HEADERS, opts);
}

/** The same completion as one non-stream `chat.completion` body. */
export function openaiChatJson(opts: { model?: string; text?: string; usage?: { prompt_tokens: number; completion_tokens: number } } = {}): Script {
  const u = opts.usage ?? { prompt_tokens: 12, completion_tokens: 7 };
  return jsonResponse({
    id: 'chatcmpl-fake123',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: opts.model ?? 'gpt-4o-mini-2024-07-18',
    choices: [{ index: 0, message: { role: 'assistant', content: opts.text ?? 'Hello there!', refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { ...u, total_tokens: u.prompt_tokens + u.completion_tokens },
  });
}
