/**
 * A WebSocket session as text: the handshake, then the two-sided timeline, client frames in the left
 * column and server frames in the right one, each at its offset, then the close. Recorded text is
 * passed through `st.esc`, so control characters a frame carries print as escapes.
 */
import type { Trace } from '../trace/types.js';
import { frameBytes, wsSummary, type WsFrame } from '../ws/tape.js';
import type { Style } from './style.js';

const ms = (n: number): string => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(1)} ms`);

/** One frame in a few words: its JSON `type` and the rest, or its size when it is not text. */
export function frameLabel(f: WsFrame, width: number): string {
  let label: string;
  if (f.text === undefined) label = `[binary, ${frameBytes(f).length} bytes]`;
  else {
    let rest = f.text;
    try {
      const v = JSON.parse(f.text) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { type?: unknown }).type === 'string') {
        const { type, ...others } = v as Record<string, unknown>;
        rest = `${type as string} ${JSON.stringify(others)}`;
      }
    } catch {
      // Not JSON: shown as it is.
    }
    label = `${f.opcode === 'binary' ? '[binary] ' : ''}${rest}`;
  }
  label = label.replace(/\s+/g, ' ');
  return label.length > width ? `${label.slice(0, Math.max(1, width - 1))}…` : label;
}

export function renderWsTimeline(trace: Trace, st: Style, width = 100): string {
  const s = trace.websocket!;
  const sum = wsSummary(s);
  const half = Math.max(20, Math.floor((width - 12) / 2));
  const out: string[] = [];
  out.push(st.bold(st.esc(`WebSocket ${trace.http.method} ${trace.http.url} -> ${trace.http.status}`)) + st.dim(`  ${trace.metadata.provider}${trace.metadata.model ? `, ${st.esc(trace.metadata.model)}` : ''}, id ${trace.id}`));
  out.push(
    `${sum.client} frame(s) from the client, ${sum.server} from the server, ${ms(sum.durationMs)}; handshake ${ms(trace.http.headers_ms)}` +
      (s.protocol ? `; subprotocol ${st.esc(s.protocol)}` : ''),
  );
  out.push('');
  out.push(st.dim(`${'at'.padStart(10)}  ${'client'.padEnd(half)}  server`));
  for (const f of s.frames) {
    const at = ms(f.at_ms).padStart(10);
    const label = st.esc(frameLabel(f, half));
    out.push(f.from === 'client' ? `${at}  ${st.cyan(label)}` : `${at}  ${' '.repeat(half)}  ${st.magenta(label)}`);
  }
  const c = s.close;
  if (c) {
    const what = c.by === 'none' ? 'connection dropped (no close frame)' : `closed by the ${c.by}${c.code !== undefined ? ` with ${c.code}` : ''}${c.reason ? ` "${st.esc(c.reason)}"` : ''}`;
    out.push(`${ms(c.at_ms).padStart(10)}  ${st.dim(what)}`);
  }
  return `${out.join('\n')}\n`;
}
