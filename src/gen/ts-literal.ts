/**
 * Print JSON data as TypeScript source, the way Prettier would lay it out (single quotes, trailing
 * commas, two-space indent, objects broken over lines only when they do not fit), so generated
 * tests read like hand-written ones. Pure.
 */

export interface PrintOptions {
  /** Indentation of the line the value starts on. */
  indent?: string;
  /** Column the value starts at, for the fit check. */
  column?: number;
  /** Line width to fit into. Default 100. */
  width?: number;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A single-line string literal: single quotes unless double quotes need fewer escapes. */
export function stringLiteral(s: string): string {
  const json = JSON.stringify(s);
  const singles = (s.match(/'/g) ?? []).length;
  const doubles = (s.match(/"/g) ?? []).length;
  if (doubles < singles) return json;
  // Walk JSON's escapes so an escaped backslash before a quote is not mistaken for an escaped quote.
  return `'${json.slice(1, -1).replace(/\\.|'/g, (m) => (m === '\\"' ? '"' : m === "'" ? "\\'" : m))}'`;
}

/** A template literal that keeps line breaks visible. Only `\n` and tabs stay raw: a raw CR would be read back as LF. */
export function templateLiteral(s: string): string {
  const body = s
    .replace(/\\/g, '\\\\')
    .replace(/`/g, '\\`')
    .replace(/\$\{/g, '\\${')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `\`${body}\``;
}

/** Multi-line text reads better as a template literal; everything else is a quoted string. */
function printString(s: string): string {
  return s.includes('\n') && s.length > 40 ? templateLiteral(s) : stringLiteral(s);
}

function printKey(key: string): string {
  // `__proto__: x` in a literal sets the prototype instead of adding a property.
  if (key === '__proto__') return `['__proto__']`;
  return IDENTIFIER.test(key) ? key : stringLiteral(key);
}

function entries(value: object): Array<[string, unknown]> {
  return Object.entries(value).filter(([, v]) => v !== undefined);
}

/** The value on one line, or null when it cannot be (a multi-line string inside). */
function inline(value: unknown): string | null {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') {
    const s = printString(value);
    return s.includes('\n') ? null : s;
  }
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const parts = value.map(inline);
    return parts.includes(null) ? null : `[${parts.join(', ')}]`;
  }
  if (typeof value === 'object') {
    const parts = entries(value).map(([k, v]) => {
      const s = inline(v);
      return s === null ? null : `${printKey(k)}: ${s}`;
    });
    if (parts.length === 0) return '{}';
    return parts.includes(null) ? null : `{ ${parts.join(', ')} }`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Print a JSON value as a TypeScript expression.
 * @example printValue({ role: 'user', content: "It's" }) // `{ role: 'user', content: "It's" }`
 */
export function printValue(value: unknown, options: PrintOptions = {}): string {
  const indent = options.indent ?? '';
  const width = options.width ?? 100;
  const column = options.column ?? indent.length;
  const flat = inline(value);
  // Room for the `,` or `;` that usually follows.
  if (flat !== null && column + flat.length + 1 <= width) return flat;
  if (typeof value === 'string') return printString(value);
  const inner = `${indent}  `;
  const child = (v: unknown, prefix: string) => printValue(v, { indent: inner, column: inner.length + prefix.length, width });
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => `${inner}${child(v, '')},\n`).join('')}${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const list = entries(value);
    if (list.length === 0) return '{}';
    return `{\n${list.map(([k, v]) => `${inner}${printKey(k)}: ${child(v, `${printKey(k)}: `)},\n`).join('')}${indent}}`;
  }
  return flat ?? 'null';
}
