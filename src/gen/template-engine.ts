/**
 * A small Mustache subset for test templates. Pure.
 *
 * - `{{name}}` inserts a value. A multi-line value is indented like the line the tag is on.
 * - `{{#flag}}…{{/flag}}` keeps its body when the flag is true, `{{^flag}}…{{/flag}}` when it is false.
 * - `{{! … }}` is a comment; the first one may carry `providers:` and `path:` lines (see templates.ts).
 * - A line holding only a section tag or a comment disappears with its line break.
 *
 * Unknown names and unbalanced sections are errors that name the template and line, so a typo in a
 * user template fails at `gen` time instead of producing a broken test.
 */
import { TraceForgeError } from '../errors.js';

/** Where a value lands: the indentation of its line and the column it starts at. */
export interface Placement {
  indent: string;
  column: number;
}

/** Text, a value that lays itself out for its placement, or a section flag. */
export type TemplateValue = string | number | boolean | ((at: Placement) => string);
export type TemplateView = Record<string, TemplateValue>;

type Token =
  | { kind: 'text'; text: string }
  | { kind: 'var'; name: string; line: number }
  | { kind: 'open'; name: string; inverted: boolean; line: number }
  | { kind: 'close'; name: string; line: number };

const TAG = /\{\{\s*([#^/!]?)\s*([\s\S]*?)\s*\}\}/g;
const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

function fail(source: string, line: number, problem: string): never {
  throw new TraceForgeError('E_GEN', `template ${source}:${line}: ${problem}`);
}

/** Remove the line of a standalone section/comment tag, as Mustache does, so sections leave no blank lines. */
function stripStandalone(template: string): string {
  return template.replace(/^[ \t]*(\{\{\s*[#^/!][\s\S]*?\}\})[ \t]*(?:\r?\n|$)/gm, '$1');
}

function tokenize(template: string, source: string): Token[] {
  const text = stripStandalone(template);
  const tokens: Token[] = [];
  let last = 0;
  const lineAt = (offset: number) => text.slice(0, offset).split('\n').length;
  for (const m of text.matchAll(TAG)) {
    const at = m.index;
    if (at > last) tokens.push({ kind: 'text', text: text.slice(last, at) });
    last = at + m[0].length;
    const [, sigil, body] = m as unknown as [string, string, string];
    const line = lineAt(at);
    if (sigil === '!') continue;
    if (!NAME.test(body)) fail(source, line, `"{{${sigil}${body}}}" is not a placeholder: names are letters, digits and _`);
    if (sigil === '#' || sigil === '^') tokens.push({ kind: 'open', name: body, inverted: sigil === '^', line });
    else if (sigil === '/') tokens.push({ kind: 'close', name: body, line });
    else tokens.push({ kind: 'var', name: body, line });
  }
  if (last < text.length) tokens.push({ kind: 'text', text: text.slice(last) });
  return tokens;
}

/** Indent every line after the first with the indentation of the line the tag is on. */
function indentRest(value: string, indent: string): string {
  return value.replace(/\n(?=[^\n])/g, `\n${indent}`);
}

/**
 * Render a template against a view.
 * @example renderTemplate('it({{name}}, …)', { name: "'works'" }, 'x.tpl') // "it('works', …)"
 */
export function renderTemplate(template: string, view: TemplateView, source: string): string {
  const tokens = tokenize(template, source);
  const known = Object.keys(view).sort().join(', ');
  const lookup = (name: string, line: number): TemplateValue => {
    if (!Object.hasOwn(view, name)) fail(source, line, `unknown placeholder {{${name}}}; known: ${known}`);
    return view[name]!;
  };
  let out = '';
  const inserted: string[] = [];
  const open: Array<{ name: string; line: number; outputBefore: number; keep: boolean }> = [];
  let skipping = 0;
  for (const t of tokens) {
    if (t.kind === 'open') {
      const value = lookup(t.name, t.line);
      if (typeof value !== 'boolean') fail(source, t.line, `{{${t.inverted ? '^' : '#'}${t.name}}} opens a section, but ${t.name} is a value, not a flag`);
      const keep = skipping === 0 && value !== t.inverted;
      open.push({ name: t.name, line: t.line, outputBefore: out.length, keep });
      if (!keep) skipping++;
      continue;
    }
    if (t.kind === 'close') {
      const top = open.pop();
      if (!top || top.name !== t.name) fail(source, t.line, `{{/${t.name}}} closes ${top ? `{{#${top.name}}} from line ${top.line}` : 'nothing'}`);
      if (!top.keep) skipping--;
      continue;
    }
    if (skipping > 0) {
      if (t.kind === 'var') lookup(t.name, t.line);
      continue;
    }
    if (t.kind === 'text') {
      out += t.text;
      continue;
    }
    const value = lookup(t.name, t.line);
    if (typeof value === 'boolean') fail(source, t.line, `{{${t.name}}} is a flag: use it as {{#${t.name}}}…{{/${t.name}}}`);
    const before = expand(out.slice(out.lastIndexOf('\n') + 1), (i) => inserted[i]!);
    const line = before.slice(before.lastIndexOf('\n') + 1);
    const indent = /^[ \t]*/.exec(line)![0];
    inserted.push(typeof value === 'function' ? value({ indent, column: line.length }) : indentRest(String(value), indent));
    out += `${MARK}${inserted.length - 1}${MARK}`;
  }
  if (open.length > 0) fail(source, open.at(-1)!.line, `{{#${open.at(-1)!.name}}} is never closed`);
  // Tidy the template's own text only: inserted values (an answer with trailing spaces) stay exact.
  return expand(tidy(out), (i) => inserted[i]!);
}

// Values are parked behind markers while the template text is tidied.
const MARK = '\u0000';
const MARKED = /\u0000(\d+)\u0000/g;
const expand = (text: string, value: (i: number) => string) => text.replace(MARKED, (_, i: string) => value(Number(i)));

/** Trailing spaces off, at most one blank line in a row, one final newline: user templates come out formatted too. */
export function tidy(text: string): string {
  return `${text
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/^\n+/, '')
    .trimEnd()}\n`;
}

/** The `key: value` lines of a template's first comment, e.g. `providers: openai`. */
export function readTemplateMeta(template: string): Record<string, string> {
  const m = /^\s*\{\{!([\s\S]*?)\}\}/.exec(template);
  const meta: Record<string, string> = {};
  for (const line of (m?.[1] ?? '').split('\n')) {
    const kv = /^\s*([a-z]+):\s*(.*?)\s*$/.exec(line);
    if (kv) meta[kv[1]!] = kv[2]!;
  }
  return meta;
}
