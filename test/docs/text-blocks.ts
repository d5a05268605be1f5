import { parseShell, type DocCommand } from './shell.js';

/**
 * A `text` block is terminal output. Each `$ command` line starts a session: the command, then the
 * lines it printed. A block that starts with `traceforge <command> ...` (no `$`) is a usage synopsis.
 */
export interface Session {
  cmd: DocCommand;
  /** The output lines shown after the command. */
  shown: string[];
}

export type TextBlock = { kind: 'sessions'; sessions: Session[] } | { kind: 'synopsis'; cmd: DocCommand } | { kind: 'output' };

export function parseTextBlock(code: string): TextBlock {
  const lines = code.replace(/\n$/, '').split('\n');
  if (/^traceforge\s/.test(lines[0]!)) {
    const cmd = parseShell(lines.join(' '))[0]!;
    return { kind: 'synopsis', cmd: { ...cmd, offset: 0 } };
  }
  const sessions: Session[] = [];
  lines.forEach((line, i) => {
    if (line.startsWith('$ ')) {
      const cmd = parseShell(line)[0]!;
      sessions.push({ cmd: { ...cmd, offset: i }, shown: [] });
    } else sessions.at(-1)?.shown.push(line);
  });
  return sessions.length > 0 ? { kind: 'sessions', sessions } : { kind: 'output' };
}
