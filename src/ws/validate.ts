/** Structural checks of a trace's `websocket` key, with the JSON path of each bad field. Pure. */
import type { InvalidField } from '../trace/validate.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function findWsProblems(value: unknown, base: string): InvalidField[] {
  const out: InvalidField[] = [];
  const bad = (path: string, problem: string) => out.push({ path, problem });
  if (!isObj(value)) return [{ path: base, problem: 'must be an object with frames' }];
  if (value.protocol !== undefined && typeof value.protocol !== 'string') bad(`${base}.protocol`, 'must be a string');
  if (!Array.isArray(value.frames)) bad(`${base}.frames`, 'must be a list');
  else
    value.frames.forEach((f, i) => {
      const b = `${base}.frames[${i}]`;
      if (!isObj(f)) return bad(b, 'must be an object with from, at_ms, opcode and text or base64');
      if (f.from !== 'client' && f.from !== 'server') bad(`${b}.from`, 'must be "client" or "server"');
      if (!isNum(f.at_ms) || (f.at_ms as number) < 0) bad(`${b}.at_ms`, 'must be a number >= 0');
      if (f.opcode !== 'text' && f.opcode !== 'binary') bad(`${b}.opcode`, 'must be "text" or "binary"');
      const hasText = typeof f.text === 'string';
      const hasB64 = typeof f.base64 === 'string' && BASE64.test(f.base64);
      if (hasText === hasB64) bad(b, 'must hold exactly one of text (a string) or base64 (base64 text)');
      else if (f.opcode === 'text' && hasB64) bad(`${b}.base64`, 'a text frame is UTF-8: keep its payload in text');
    });
  if (value.close !== undefined) {
    const c = value.close;
    const b = `${base}.close`;
    if (!isObj(c)) bad(b, 'must be an object with by and at_ms');
    else {
      if (c.by !== 'client' && c.by !== 'server' && c.by !== 'none') bad(`${b}.by`, 'must be "client", "server" or "none"');
      if (!isNum(c.at_ms) || (c.at_ms as number) < 0) bad(`${b}.at_ms`, 'must be a number >= 0');
      if (c.code !== undefined && !(Number.isInteger(c.code) && (c.code as number) >= 1000 && (c.code as number) <= 4999)) bad(`${b}.code`, 'must be a close code (1000-4999)');
      if (c.reason !== undefined && typeof c.reason !== 'string') bad(`${b}.reason`, 'must be a string');
    }
  }
  return out;
}
