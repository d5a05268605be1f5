/**
 * Field merge rules for streamed deltas whose shape a provider extends beyond the spec
 * (OpenAI-compatible servers: Groq, OpenRouter, Mistral, DeepSeek...). One rule per kind of field:
 *
 * - **text** (`content`, `reasoning`, `reasoning_content`, `refusal`, `text`, `thinking`, `arguments`,
 *   and any string field not named like a label): the pieces concatenate.
 * - **labels and identifiers** (`id`, `type`, `channel`, `role`, `name`, `format`, `signature`,
 *   `status`, `*_id`, `*_type`...): kept, not concatenated; a later non-empty value replaces an
 *   earlier one, an empty string never erases one. Groq repeats `"channel":"analysis"` on every delta.
 * - **arrays of parts**: items with a numeric `index` merge into the item of the same index
 *   (OpenRouter's `reasoning_details`); items without one append. In content-part arrays (`content`,
 *   and a thinking part's `thinking`) a part of the same `type` as the last one continues it
 *   (Mistral's `{type:'thinking', thinking:[{type:'text', text}]}` pieces); elsewhere, such as
 *   `annotations`, each item is whole and is kept apart. An empty array adds nothing.
 * - **objects** merge field by field with these same rules; numbers and booleans: the last wins;
 *   `null` never erases a value.
 *
 * Pure and total: recorded data can be anything.
 */
import { clone, isRecord, type Json } from './common.js';

/** Fields that carry streamed text, whatever their name says. */
const TEXT_KEYS = new Set(['content', 'reasoning', 'reasoning_content', 'refusal', 'text', 'thinking', 'arguments', 'partial_json', 'summary', 'transcript', 'data']);

/** Labels and identifiers: sent whole, often repeated on every delta. */
const LABEL_KEYS = new Set(['id', 'type', 'channel', 'role', 'name', 'format', 'signature', 'status', 'object', 'model', 'finish_reason', 'stop_reason', 'mime_type', 'media_type', 'encoding', 'url', 'title', 'kind', 'phase']);
const LABEL_PATTERN = /(?:^|_)(?:id|type|name|format|status|kind|reason|signature|channel|role)$/;

/** True when a string field of this name is a label (kept whole), false when it is streamed text. */
export function isLabelKey(key: string): boolean {
  if (TEXT_KEYS.has(key)) return false;
  return LABEL_KEYS.has(key) || LABEL_PATTERN.test(key);
}

function mergeString(target: Json, key: string, value: string): void {
  const prev = target[key];
  if (isLabelKey(key)) {
    if (value !== '' || typeof prev !== 'string') target[key] = value;
    return;
  }
  target[key] = (typeof prev === 'string' ? prev : '') + value;
}

/** Arrays whose items are pieces of content parts: a run of one `type` is one part, streamed in pieces. */
const PART_ARRAYS = new Set(['content', 'thinking']);

/**
 * Merge one array of streamed parts into the parts gathered so far (see the module comment).
 * `continueRuns`: an item without an index and of the last item's `type` continues that item.
 */
export function mergeParts(target: unknown[], parts: ReadonlyArray<unknown>, continueRuns = true): void {
  for (const part of parts) {
    if (isRecord(part) && typeof part['index'] === 'number') {
      const same = target.find((t) => isRecord(t) && t['index'] === part['index']);
      if (isRecord(same)) mergeObject(same, part);
      else target.push(clone(part));
      continue;
    }
    const last = target[target.length - 1];
    if (continueRuns && isRecord(part) && isRecord(last) && typeof part['type'] === 'string' && last['type'] === part['type'] && typeof last['index'] !== 'number') {
      mergeObject(last, part);
    } else if (continueRuns && typeof part === 'string' && typeof last === 'string') {
      target[target.length - 1] = last + part;
    } else if (part !== null && part !== undefined) {
      target.push(clone(part));
    }
  }
}

/** Merge `delta` into `target` in place, field by field, with the rule for each field's kind. */
export function mergeObject(target: Json, delta: Json): Json {
  for (const [key, value] of Object.entries(delta)) {
    if (value === null || value === undefined) continue;
    const prev = target[key];
    if (typeof value === 'string') mergeString(target, key, value);
    else if (Array.isArray(value)) {
      const list = Array.isArray(prev) ? prev : [];
      mergeParts(list, value, PART_ARRAYS.has(key));
      // An empty array adds nothing but still says the field exists.
      target[key] = list;
    } else if (isRecord(value)) {
      target[key] = mergeObject(isRecord(prev) ? prev : {}, value);
    } else {
      target[key] = value;
    }
  }
  return target;
}

/**
 * The text of reasoning parts: OpenRouter `reasoning_details` (`reasoning.text` text,
 * `reasoning.summary` summary) or Mistral `thinking` content parts (their inner text parts).
 */
export function partsReasoning(parts: ReadonlyArray<unknown>): string {
  const out: string[] = [];
  for (const raw of parts) {
    if (!isRecord(raw)) continue;
    const type = raw['type'];
    if (type === 'reasoning.text' && typeof raw['text'] === 'string') out.push(raw['text']);
    else if (type === 'reasoning.summary' && typeof raw['summary'] === 'string') out.push(raw['summary']);
    else if (type === 'thinking') {
      const inner = raw['thinking'];
      if (typeof inner === 'string') out.push(inner);
      else if (Array.isArray(inner)) out.push(partsText(inner));
    }
  }
  return out.join('');
}

/** The answer text of content parts: `{type:'text', text}` items and bare strings. */
export function partsText(parts: ReadonlyArray<unknown>): string {
  return parts.map((p) => (typeof p === 'string' ? p : isRecord(p) && p['type'] === 'text' && typeof p['text'] === 'string' ? p['text'] : '')).join('');
}
