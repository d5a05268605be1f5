/** Scripted Ollama `/api/chat` and `/api/generate` NDJSON streams, ending with the `done: true` line. */
import { NDJSON_HEADERS, splitTokens, streamScript, type Script, type TimingOptions } from './script.js';

export interface OllamaStreamOptions extends TimingOptions {
  model?: string;
  text?: string;
  thinking?: string;
  toolCalls?: Array<{ name: string; arguments: Record<string, unknown> }>;
  doneReason?: string;
  promptEvalCount?: number;
  evalCount?: number;
}

const createdAt = (i: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, 0, i * 20)).toISOString();

function doneFields(opts: OllamaStreamOptions): Record<string, unknown> {
  return {
    done: true,
    done_reason: opts.doneReason ?? 'stop',
    total_duration: 1_234_567_890,
    load_duration: 12_345_678,
    prompt_eval_count: opts.promptEvalCount ?? 26,
    prompt_eval_duration: 45_678_901,
    eval_count: opts.evalCount ?? 8,
    eval_duration: 345_678_901,
  };
}

/** The JSON lines of an `/api/chat` stream. */
export function ollamaChatLines(opts: OllamaStreamOptions = {}): Array<Record<string, unknown>> {
  const model = opts.model ?? 'llama3.2';
  const lines: Array<Record<string, unknown>> = [];
  const line = (message: Record<string, unknown>) => lines.push({ model, created_at: createdAt(lines.length), message: { role: 'assistant', content: '', ...message }, done: false });
  for (const t of splitTokens(opts.thinking ?? '')) line({ thinking: t });
  for (const t of splitTokens(opts.text ?? (opts.toolCalls ? '' : 'Hello there!'))) line({ content: t });
  if (opts.toolCalls?.length) line({ tool_calls: opts.toolCalls.map((fc) => ({ function: fc })) });
  lines.push({ model, created_at: createdAt(lines.length), message: { role: 'assistant', content: '' }, ...doneFields(opts) });
  return lines;
}

/** The JSON lines of an `/api/generate` stream; the done line carries `context`. */
export function ollamaGenerateLines(opts: OllamaStreamOptions = {}): Array<Record<string, unknown>> {
  const model = opts.model ?? 'llama3.2';
  const tokens = splitTokens(opts.text ?? 'Hello there!');
  const lines: Array<Record<string, unknown>> = tokens.map((response, i) => ({ model, created_at: createdAt(i), response, done: false }));
  lines.push({ model, created_at: createdAt(lines.length), response: '', ...doneFields(opts), context: [1, 2, 3] });
  return lines;
}

export function ollamaChatStream(opts: OllamaStreamOptions = {}): Script {
  return streamScript(ollamaChatLines(opts).map((l) => `${JSON.stringify(l)}\n`), NDJSON_HEADERS, opts);
}

export function ollamaGenerateStream(opts: OllamaStreamOptions = {}): Script {
  return streamScript(ollamaGenerateLines(opts).map((l) => `${JSON.stringify(l)}\n`), NDJSON_HEADERS, opts);
}
