/**
 * Two WebSocket sessions compared side by side: frames each way, duration, and for each side the first frame
 * that differs (by position among that side's frames), with its JSON path and both values. Pure.
 */
import type { Trace } from '../trace/types.js';
import { compareFrame, type FrameDifference } from './frame-match.js';
import { frameBytes, wsSummary, type WsSide } from './tape.js';

export interface WsSideDiff {
  side: WsSide;
  a: number;
  b: number;
  /** The first frame of this side that differs (from 1), or absent when every frame both have is the same. */
  first?: { frame: number } & FrameDifference;
  /** How many of the frames both have differ. */
  differing: number;
}

export interface WsDiff {
  durationMs: { a: number; b: number };
  sides: WsSideDiff[];
  close: { a: string; b: string };
}

const closeText = (t: Trace): string => {
  const c = t.websocket?.close;
  if (!c) return '(none recorded)';
  return c.by === 'none' ? 'dropped' : `by the ${c.by}${c.code !== undefined ? ` ${c.code}` : ''}${c.reason ? ` "${c.reason}"` : ''}`;
};

export function diffSessions(a: Trace, b: Trace): WsDiff {
  const sa = a.websocket ?? { frames: [] };
  const sb = b.websocket ?? { frames: [] };
  const sides = (['client', 'server'] as const).map((side): WsSideDiff => {
    const fa = sa.frames.filter((f) => f.from === side);
    const fb = sb.frames.filter((f) => f.from === side);
    let first: WsSideDiff['first'];
    let differing = 0;
    for (let i = 0; i < Math.min(fa.length, fb.length); i++) {
      // Nothing is volatile here: a diff shows every difference, event ids included.
      const d = compareFrame(fa[i]!, { binary: fb[i]!.opcode === 'binary', bytes: frameBytes(fb[i]!) }, []);
      if (!d) continue;
      differing++;
      first ??= { frame: i + 1, ...d };
    }
    return { side, a: fa.length, b: fb.length, differing, ...(first ? { first } : {}) };
  });
  return { durationMs: { a: wsSummary(sa).durationMs, b: wsSummary(sb).durationMs }, sides, close: { a: closeText(a), b: closeText(b) } };
}

export function renderWsDiff(d: WsDiff, esc: (s: string) => string = (s) => s): string {
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  const lines = [`WebSocket sessions: duration ${ms(d.durationMs.a)} vs ${ms(d.durationMs.b)}; close ${esc(d.close.a)} vs ${esc(d.close.b)}`];
  for (const s of d.sides) {
    let line = `  ${s.side} frames: ${s.a} vs ${s.b}`;
    if (s.first) line += `; ${s.differing} of the ${Math.min(s.a, s.b)} both have differ, the first is #${s.first.frame} at ${esc(s.first.path)}: ${esc(s.first.recorded)} vs ${esc(s.first.received)}`;
    else line += Math.min(s.a, s.b) > 0 ? '; the frames both have are the same' : '';
    lines.push(line);
  }
  return `${lines.join('\n')}\n`;
}
