/** Scripted Anthropic Messages streams: `event: <type>` + `data: <json>` blocks, from fixtures or built. */
import { readFileSync } from 'node:fs';
import { SSE_HEADERS, splitEven, splitTokens, sse, streamScript, type Script, type TimingOptions } from './script.js';

export type AnthropicEvent = Record<string, unknown> & { type: string };

/** Real captured events from `fixtures/anthropic-<name>.events.jsonl`. */
export function loadAnthropicFixture(name: 'text' | 'tool-use'): AnthropicEvent[] {
  const text = readFileSync(new URL(`./fixtures/anthropic-${name}.events.jsonl`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as AnthropicEvent);
}

export interface AnthropicBuildOptions {
  model?: string;
  id?: string;
  thinking?: string;
  text?: string;
  toolUse?: { id?: string; name: string; input: unknown };
  stopReason?: string;
  usage?: { input_tokens: number; output_tokens: number };
  /** Append an `error` event (e.g. overloaded_error) instead of finishing normally. */
  error?: { type: string; message: string };
}

/** A plausible event sequence: message_start, ping, one block per part, message_delta, message_stop. */
export function buildAnthropicEvents(opts: AnthropicBuildOptions = {}): AnthropicEvent[] {
  const u = opts.usage ?? { input_tokens: 25, output_tokens: 12 };
  const events: AnthropicEvent[] = [
    {
      type: 'message_start',
      message: { id: opts.id ?? 'msg_fake123', type: 'message', role: 'assistant', model: opts.model ?? 'claude-sonnet-4-5-20250929', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: u.input_tokens, output_tokens: 1 } },
    },
    { type: 'ping' },
  ];
  let index = 0;
  if (opts.thinking !== undefined) {
    events.push({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
    for (const t of splitTokens(opts.thinking)) events.push({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: t } });
    events.push({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIM' } });
    events.push({ type: 'content_block_stop', index: index++ });
  }
  const text = opts.text ?? (opts.toolUse || opts.thinking !== undefined ? undefined : 'Hello there!');
  if (text !== undefined) {
    events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    for (const t of splitTokens(text)) events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: t } });
    events.push({ type: 'content_block_stop', index: index++ });
  }
  if (opts.toolUse) {
    events.push({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: opts.toolUse.id ?? 'toolu_fake1', name: opts.toolUse.name, input: {} } });
    events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } });
    for (const p of splitEven(JSON.stringify(opts.toolUse.input), 3)) events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: p } });
    events.push({ type: 'content_block_stop', index: index++ });
  }
  if (opts.error) {
    events.push({ type: 'error', error: { type: opts.error.type, message: opts.error.message } });
    return events;
  }
  events.push({ type: 'message_delta', delta: { stop_reason: opts.stopReason ?? (opts.toolUse ? 'tool_use' : 'end_turn'), stop_sequence: null }, usage: { output_tokens: u.output_tokens } });
  events.push({ type: 'message_stop' });
  return events;
}

/** Frame events as Anthropic does; pass fixture events or build options. */
export function anthropicStream(events: AnthropicEvent[] | AnthropicBuildOptions = {}, timing: TimingOptions = {}): Script {
  const list = Array.isArray(events) ? events : buildAnthropicEvents(events);
  return streamScript(list.map((e) => sse(e, e.type)), SSE_HEADERS, timing);
}
