/**
 * What a recorded call asked, for file names and test titles. Pure; never throws on odd requests.
 */
import type { Trace } from '../trace/types.js';

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Text of a message `content`: a string, or the text parts of a list (`text`, `input_text`, Gemini `parts`). */
function contentText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const parts = content.map((p) => (typeof p === 'string' ? p : isRecord(p) && typeof p['text'] === 'string' ? p['text'] : '')).filter(Boolean);
  return parts.length ? parts.join(' ') : undefined;
}

function firstUserIn(list: unknown, contentKey: 'content' | 'parts'): string | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const m of list) {
    if (!isRecord(m)) continue;
    // Gemini may leave out the role of a single-turn user message.
    if (m['role'] === 'user' || (contentKey === 'parts' && m['role'] === undefined)) {
      const text = contentText(m[contentKey]);
      if (text) return text;
    }
  }
  return undefined;
}

/**
 * The first user message of an OpenAI, Anthropic, Ollama, Responses or Gemini request, whitespace
 * collapsed; undefined when there is none.
 * @example firstUserMessage({ messages: [{ role: 'user', content: 'Hi  there' }] }) // 'Hi there'
 */
export function firstUserMessage(request: unknown): string | undefined {
  if (!isRecord(request)) return undefined;
  const input = request['input'];
  const found =
    firstUserIn(request['messages'], 'content') ??
    (typeof input === 'string' ? input : firstUserIn(input, 'content')) ??
    (typeof request['prompt'] === 'string' ? request['prompt'] : undefined) ??
    firstUserIn(request['contents'], 'parts');
  const text = found?.replace(/\s+/g, ' ').trim();
  return text ? text : undefined;
}

const TRAILING_STOP_WORDS = new Set(['a', 'an', 'and', 'at', 'by', 'for', 'from', 'in', 'into', 'of', 'on', 'or', 'the', 'to', 'with']);

/**
 * A file-name-safe slug of the first few words: ASCII, lower case, dash separated.
 * @example slugify('What is the weather in Paris, today?') // 'what-is-the-weather-in-paris'
 */
export function slugify(text: string, maxWords = 6, maxLength = 48): string {
  const words = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const kept = words.slice(0, maxWords);
  // `find-me-flights-from-paris-to` reads better without its dangling `to`.
  while (kept.length > 1 && TRAILING_STOP_WORDS.has(kept.at(-1)!)) kept.pop();
  let slug = '';
  for (const w of kept) {
    const next = slug ? `${slug}-${w}` : w;
    if (next.length > maxLength) break;
    slug = next;
  }
  return slug || (words[0] ?? '').slice(0, maxLength);
}

/** Slug of the first user message, else of the endpoint, else of the trace id. */
export function slugForTrace(trace: Pick<Trace, 'request' | 'endpoint' | 'id'>): string {
  const asked = firstUserMessage(trace.request);
  return (asked && slugify(asked)) || slugify(trace.endpoint) || `trace-${slugify(trace.id)}`;
}

/** `text` cut at a word boundary to at most `max` characters, with an ellipsis when cut. */
export function shorten(text: string, max = 60): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,.;:!?-]+$/, '')}…`;
}
