/**
 * Commands out of a `sh` block, as a reader would type them: `\` continuations joined, `# comments`
 * dropped, `a && b` split, leading `VAR=value` words taken as the environment, `npx` taken off.
 */
export interface DocCommand {
  /** 0-based line inside the block where the command starts. */
  offset: number;
  text: string;
  env: Record<string, string>;
  /** The program and its arguments, quotes removed. `npx` is dropped: argv[0] is what npx would run. */
  argv: string[];
  npx: boolean;
}

export function splitWords(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let has = false;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) words.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (has || cur) words.push(cur);
  return words;
}

/** The text before an unquoted `#` that starts a word. */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

export function parseShell(code: string): DocCommand[] {
  const lines = code.split('\n');
  const out: DocCommand[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let text = stripComment(lines[i]!).trimEnd();
    while (text.endsWith('\\') && i + 1 < lines.length) text = text.slice(0, -1) + ' ' + stripComment(lines[++i]!).trim();
    text = text.replace(/^\$\s+/, '').trim();
    if (!text) continue;
    for (const part of text.split(/\s&&\s/)) {
      const words = splitWords(part.trim());
      const env: Record<string, string> = {};
      while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!)) {
        const w = words.shift()!;
        env[w.slice(0, w.indexOf('='))] = w.slice(w.indexOf('=') + 1);
      }
      const npx = words[0] === 'npx';
      if (npx) words.shift();
      out.push({ offset: start, text: part.trim(), env, argv: words, npx });
    }
  }
  return out;
}

/** `record --cassette x -- node app.js` -> `{ own: ['record', '--cassette', 'x'], child: ['node', 'app.js'] }`. */
export function splitChild(args: string[]): { own: string[]; child: string[] | null } {
  const i = args.indexOf('--');
  return i < 0 ? { own: args, child: null } : { own: args.slice(0, i), child: args.slice(i + 1) };
}

/** Every `--flag` (or `-x`) among a command's own arguments, `--flag=value` cut at the `=`. */
export function flagsOf(args: string[]): string[] {
  return args.filter((a) => /^--?[A-Za-z]/.test(a)).map((a) => a.split('=')[0]!);
}
