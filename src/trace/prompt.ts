/**
 * The prompt of a call, for telling list rows apart: the text of the last user message in any of the
 * request shapes the providers use (chat `messages`, Gemini `contents`/`parts`, the Responses API's
 * `input`, a completion's `prompt`), whitespace collapsed, at most `max` characters. Null when the
 * request holds no user text. Pure; the caller escapes it before showing it.
 *
 * @example
 * promptOf({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Why\n stream?' }] }); // 'Why stream?'
 */
export function promptOf(request: unknown, max = 120): string | null {
  if (!isObj(request)) return null;
  const text = lastUserText(request);
  if (text === null) return null;
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat === '' ? null : flat.slice(0, max);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function lastUserText(r: Record<string, unknown>): string | null {
  for (const key of ['messages', 'contents', 'input']) {
    const list = r[key];
    if (typeof list === 'string' && key === 'input') return list;
    if (!Array.isArray(list)) continue;
    for (let i = list.length - 1; i >= 0; i--) {
      const m = list[i];
      if (isObj(m) && (m.role === 'user' || (m.role === undefined && key === 'input' && m.type === 'message'))) {
        const t = partsText(m.content ?? m.parts);
        if (t) return t;
      }
      // The Responses API also takes a bare list of content parts.
      if (key === 'input' && isObj(m) && typeof m.text === 'string' && m.role === undefined) return m.text;
    }
  }
  if (typeof r.prompt === 'string') return r.prompt;
  if (Array.isArray(r.prompt) && typeof r.prompt[0] === 'string') return r.prompt[0];
  return null;
}

/** A message's content: a string, or the text of its parts (`{text}`, `{type:'text', text}`, `{type:'input_text', text}`). */
function partsText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  const texts = content.map((p) => (typeof p === 'string' ? p : isObj(p) && typeof p.text === 'string' ? p.text : '')).filter((t) => t !== '');
  return texts.length ? texts.join(' ') : null;
}
