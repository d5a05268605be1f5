/**
 * What a fake upstream sends for one request: a status, headers and a list of frames, each written
 * in its own `write()` after `gapMs`. Builders for each provider live next to this file.
 */

export interface ScriptFrame {
  /** Exact bytes to write (UTF-8). */
  bytes: string;
  /** Milliseconds to wait before writing this frame; the first frame's gap follows the headers. */
  gapMs: number;
}

export interface Script {
  status: number;
  statusMessage?: string;
  headers?: Record<string, string | string[]>;
  /** Delay before the status line and headers go out. */
  headersDelayMs?: number;
  frames: ScriptFrame[];
  /** Destroy the socket after this many frames (mid-stream drop); 0 drops right after the headers. */
  dropAfter?: number;
}

/** Fixed gap, one gap per frame, or a generator such as `createJitter(seed)`. */
export type GapSource = number | number[] | ((index: number) => number);

/** Options every stream builder accepts. */
export interface TimingOptions {
  gaps?: GapSource;
  dropAfter?: number;
  headers?: Record<string, string | string[]>;
}

export function gapAt(gaps: GapSource | undefined, index: number): number {
  if (gaps === undefined) return 0;
  if (typeof gaps === 'number') return gaps;
  if (Array.isArray(gaps)) return gaps[index] ?? gaps[gaps.length - 1] ?? 0;
  return gaps(index);
}

export const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' };
export const NDJSON_HEADERS = { 'content-type': 'application/x-ndjson' };

/** One SSE event block. `eol` lets Gemini-style CRLF framing be reproduced. */
export function sse(data: unknown, event?: string, eol = '\n'): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return `${event === undefined ? '' : `event: ${event}${eol}`}data: ${payload}${eol}${eol}`;
}

/** Build a streaming script from ready-made frame strings. */
export function streamScript(frames: string[], headers: Record<string, string | string[]>, opts: TimingOptions = {}): Script {
  const script: Script = {
    status: 200,
    headers: { ...headers, ...opts.headers },
    frames: frames.map((bytes, i) => ({ bytes, gapMs: gapAt(opts.gaps, i) })),
  };
  if (opts.dropAfter !== undefined) script.dropAfter = opts.dropAfter;
  return script;
}

/** A non-stream JSON response, written in one piece with its content-length. */
export function jsonResponse(body: unknown, status = 200, headers: Record<string, string | string[]> = {}): Script {
  const bytes = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    status,
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(bytes)), ...headers },
    frames: [{ bytes, gapMs: 0 }],
  };
}

/** A provider-style error, e.g. `errorResponse(429, 'rate limited', { 'retry-after': '2' })`. OpenAI's body shape by default. */
export function errorResponse(status: number, message: string, headers: Record<string, string | string[]> = {}, body?: unknown): Script {
  const type = status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return jsonResponse(body ?? { error: { message, type, param: null, code: type } }, status, headers);
}

/** Word-sized pieces with their leading space, like a tokenizer's output. */
export function splitTokens(text: string): string[] {
  return text.match(/\s*\S+|\s+/g) ?? [];
}

/** Cut a string into `n` roughly equal pieces (used for tool arguments). */
export function splitEven(text: string, n: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / Math.max(1, n)));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length ? out : [''];
}

/**
 * Minimal parse of a script's frames back into `{event, data}` for reconstruction tests. It only
 * understands what these builders write; the real incremental decoders live in src/stream.
 */
export function scriptChunks(script: Script): Array<{ event?: string; data?: unknown }> {
  const parse = (s: string): unknown => {
    try {
      return JSON.parse(s);
    } catch {
      return s;
    }
  };
  return script.frames.map(({ bytes }) => {
    if (!/^(event|data):/m.test(bytes)) return { data: parse(bytes.trim()) };
    const lines = bytes.split(/\r\n|\n|\r/);
    const event = lines.find((l) => l.startsWith('event:'))?.slice(6).trim();
    const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
    return event === undefined ? { data: parse(data) } : { event, data: parse(data) };
  });
}
