/** Scripted OpenAI Responses streams: named SSE events with sequence numbers, ending in `response.completed`. */
import { SSE_HEADERS, splitEven, splitTokens, sse, streamScript, type Script, type TimingOptions } from './script.js';

export interface OpenAIResponsesStreamOptions extends TimingOptions {
  model?: string;
  id?: string;
  text?: string;
  reasoningSummary?: string;
  functionCalls?: Array<{ name: string; arguments: string; callId?: string }>;
  usage?: { input_tokens: number; output_tokens: number };
  /** Stop before `response.completed`, as a stream cut by the network would. */
  omitCompleted?: boolean;
}

type Event = Record<string, unknown> & { type: string };

/** The events of the stream, in order, each with its `type` and `sequence_number`. */
export function openaiResponsesEvents(opts: OpenAIResponsesStreamOptions = {}): Event[] {
  const id = opts.id ?? 'resp_fake123';
  const model = opts.model ?? 'gpt-4.1-mini-2025-04-14';
  const shell = { id, object: 'response', created_at: 1_700_000_000, model, output: [] as unknown[], usage: null };
  const events: Event[] = [];
  const output: Array<Record<string, unknown>> = [];
  const push = (e: Event) => events.push(e);
  push({ type: 'response.created', response: { ...shell, status: 'in_progress' } });
  push({ type: 'response.in_progress', response: { ...shell, status: 'in_progress' } });

  if (opts.reasoningSummary !== undefined) {
    const item_id = 'rs_fake1';
    const output_index = output.length;
    push({ type: 'response.output_item.added', output_index, item: { id: item_id, type: 'reasoning', summary: [] } });
    push({ type: 'response.reasoning_summary_part.added', item_id, output_index, summary_index: 0, part: { type: 'summary_text', text: '' } });
    for (const delta of splitTokens(opts.reasoningSummary)) push({ type: 'response.reasoning_summary_text.delta', item_id, output_index, summary_index: 0, delta });
    push({ type: 'response.reasoning_summary_text.done', item_id, output_index, summary_index: 0, text: opts.reasoningSummary });
    const item = { id: item_id, type: 'reasoning', summary: [{ type: 'summary_text', text: opts.reasoningSummary }] };
    push({ type: 'response.reasoning_summary_part.done', item_id, output_index, summary_index: 0, part: item.summary[0] });
    push({ type: 'response.output_item.done', output_index, item });
    output.push(item);
  }
  const text = opts.text ?? (opts.functionCalls || opts.reasoningSummary !== undefined ? undefined : 'Hello there!');
  if (text !== undefined) {
    const item_id = 'msg_fake1';
    const output_index = output.length;
    push({ type: 'response.output_item.added', output_index, item: { id: item_id, type: 'message', status: 'in_progress', role: 'assistant', content: [] } });
    push({ type: 'response.content_part.added', item_id, output_index, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
    for (const delta of splitTokens(text)) push({ type: 'response.output_text.delta', item_id, output_index, content_index: 0, delta });
    push({ type: 'response.output_text.done', item_id, output_index, content_index: 0, text });
    const part = { type: 'output_text', text, annotations: [] };
    push({ type: 'response.content_part.done', item_id, output_index, content_index: 0, part });
    const item = { id: item_id, type: 'message', status: 'completed', role: 'assistant', content: [part] };
    push({ type: 'response.output_item.done', output_index, item });
    output.push(item);
  }
  (opts.functionCalls ?? []).forEach((fc, i) => {
    const item_id = `fc_fake${i}`;
    const output_index = output.length;
    const base = { id: item_id, type: 'function_call', call_id: fc.callId ?? `call_fake${i}`, name: fc.name };
    push({ type: 'response.output_item.added', output_index, item: { ...base, arguments: '', status: 'in_progress' } });
    for (const delta of splitEven(fc.arguments, 4)) push({ type: 'response.function_call_arguments.delta', item_id, output_index, delta });
    push({ type: 'response.function_call_arguments.done', item_id, output_index, arguments: fc.arguments });
    const item = { ...base, arguments: fc.arguments, status: 'completed' };
    push({ type: 'response.output_item.done', output_index, item });
    output.push(item);
  });
  if (!opts.omitCompleted) {
    const u = opts.usage ?? { input_tokens: 20, output_tokens: 11 };
    const usage = { ...u, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: u.input_tokens + u.output_tokens };
    push({ type: 'response.completed', response: { ...shell, status: 'completed', output, usage } });
  }
  return events.map((e, sequence_number) => ({ ...e, sequence_number }));
}

export function openaiResponsesStream(opts: OpenAIResponsesStreamOptions = {}): Script {
  return streamScript(openaiResponsesEvents(opts).map((e) => sse(e, e.type)), SSE_HEADERS, opts);
}
