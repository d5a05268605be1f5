/**
 * A reader for exactly the YAML that TraceForge's emitter (emit.ts) writes, 30-60x faster than `yaml`.
 *
 * `yaml` builds a node per value and keeps source ranges, which made a 1,000-interaction cassette take
 * over a second to load. The emitter writes a small, fixed subset: block mappings and lists indented by
 * two, bare or JSON-quoted keys, plain scalars it only writes when they read back as the same string,
 * single-quoted one-liners, JSON double-quoted strings, literal blocks (`|`, `|-`, `|+`) and JSON flow
 * lines. This reads that subset and nothing else: anything it does not recognise exactly (a comment after
 * a value, a folded or quoted scalar over several lines, an anchor, a tag, a key repeated, odd
 * indentation, a character YAML treats specially) makes it give up, and the caller parses the document
 * with `yaml` under the cassette rules (yaml-rules.ts), which also reports any problem with its line.
 * test/cassette/fast-read.test.ts checks both paths give the same values.
 */

/** Thrown inside the reader when the text is not the emitter's layout; never leaves this module. */
const NOT_OURS = new Error('not the emitter layout');

const NL = 10;
const SP = 32;
const HASH = 35;
const DASH = 45;
const COLON = 58;
const QUOTE = 34;
const APOS = 39;

// Raw characters the emitter never writes (it escapes them in double quotes) and YAML may read its own
// way: C0 and C1 controls but tab and newline (so a CRLF file takes the full parser), DEL, line and
// paragraph separators, a BOM, U+FFFE and U+FFFF.
const FOREIGN = /[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ufefe\uff00-\ufffd]/;
// What the emitter writes plain (emit.ts's PLAIN) and reads back as a string under YAML 1.2's core schema.
const PLAIN_STRING = /^[A-Za-z/][A-Za-z0-9 _./()?!,;=+@$%~-]*$/;
const NOT_STRING = /^(?:true|false|null|yes|no|on|off|y|n)$/i;
// A number as String(number) writes it; `yaml` reads these with parseInt / parseFloat, to the same value.
const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:e[-+][0-9]+)?$/;
const BARE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED_KEY = /^(?:true|false|null|y|n|yes|no|on|off)$/i;
// YAML refuses implicit keys over 1024 characters; the emitter writes `? key` entries above 1000.
const MAX_IMPLICIT_KEY = 1000;

export interface FastReadOptions {
  /**
   * Dotted paths of mapping entries whose values are skipped without being read (`chunks`,
   * `http.body`): the entry is left out of the result. Only what an index needs is then read.
   */
  skip?: ReadonlySet<string>;
}

/**
 * The value of one cassette document (optionally opened by a `---` line and closed by a `...` line) as
 * `yaml` would read it, or undefined when the document is not exactly in the emitter's layout.
 */
export function readEmitted(text: string, options: FastReadOptions = {}): Record<string, unknown> | undefined {
  if (FOREIGN.test(text)) return undefined;
  try {
    return new Reader(text, options.skip).document();
  } catch {
    // Not the emitter's layout, or nested past this thread's stack: `yaml`, under the cassette rules, says what is wrong.
    return undefined;
  }
}

function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  // A repeated key is an error for the cassette rules (uniqueKeys): the full parser says so, with its line.
  if (Object.hasOwn(obj, key)) throw NOT_OURS;
  // As `yaml` does for a key the prototype chain has: an own property (`__proto__` would set the prototype).
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/** Object members in a JSON text (`:` outside strings), to compare with the keys JSON.parse kept: a repeated key loses one. */
function membersIn(s: string): number {
  let n = 0;
  let i = 0;
  for (;;) {
    const q = s.indexOf('"', i);
    const stop = q < 0 ? s.length : q;
    for (let k = i; k < stop; k++) if (s.charCodeAt(k) === COLON) n++;
    if (q < 0) return n;
    let j = q + 1;
    for (;;) {
      j = s.indexOf('"', j);
      if (j < 0) return -1;
      let b = j - 1;
      while (s.charCodeAt(b) === 92) b--;
      if ((j - 1 - b) % 2 === 0) break;
      j++;
    }
    i = j + 1;
  }
}

function keysIn(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  let n = 0;
  if (Array.isArray(v)) {
    for (const x of v) n += keysIn(x);
    return n;
  }
  for (const k in v) n += 1 + keysIn((v as Record<string, unknown>)[k]);
  return n;
}

/** A JSON text as `yaml` reads it as a flow collection; NOT_OURS where the two could differ. */
function jsonValue(s: string): unknown {
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch {
    throw NOT_OURS;
  }
  if (typeof v === 'object' && v !== null && s.indexOf(':') >= 0 && membersIn(s) !== keysIn(v)) throw NOT_OURS;
  return v;
}

class Reader {
  /** Start of the next line not read yet. */
  private pos = 0;

  constructor(private readonly text: string, private readonly skip: ReadonlySet<string> | undefined) {}

  document(): Record<string, unknown> {
    const t = this.text;
    if (t.startsWith('---\n')) this.pos = 4;
    const first = this.nextContent();
    // An empty document, or one that is not a mapping at column 0.
    if (first < 0 || t.charCodeAt(first) === SP || t.charCodeAt(first) === DASH) throw NOT_OURS;
    const value = this.mapping(0, first, '');
    // Only the closing `...` line may follow.
    const rest = t.length - this.pos;
    if (rest > 0 && !(t.startsWith('...', this.pos) && (rest === 3 || (rest === 4 && t.endsWith('\n'))))) throw NOT_OURS;
    return value;
  }

  private lineEnd(p: number): number {
    const e = this.text.indexOf('\n', p);
    return e < 0 ? this.text.length : e;
  }

  /**
   * Skip blank lines (spaces only) and whole-line comments from `pos`; the start of the next line with
   * content, or -1 at the end of the document (its end, or a `...` or `---` line). `pos` is left there.
   */
  private nextContent(): number {
    const t = this.text;
    for (;;) {
      const p = this.pos;
      if (p >= t.length) return -1;
      let i = p;
      while (t.charCodeAt(i) === SP) i++;
      const c = t.charCodeAt(i);
      if (c === NL || i >= t.length) {
        this.pos = i + 1;
        continue;
      }
      if (c === HASH) {
        this.pos = this.lineEnd(i) + 1;
        continue;
      }
      if (i === p && (t.startsWith('...', p) || t.startsWith('---', p))) return -1;
      return p;
    }
  }

  private indentOf(p: number): number {
    let i = p;
    while (this.text.charCodeAt(i) === SP) i++;
    return i - p;
  }

  /** After the value of an entry at column `col`: where the next entry of the same block starts, or -1 when the block ends. */
  private next(col: number): number {
    const p = this.nextContent();
    if (p < 0) return -1;
    const indent = this.indentOf(p);
    if (indent < col) return -1;
    if (indent > col) throw NOT_OURS;
    return p;
  }

  /** A key at `at`; returns it and sets `pos` to just after its `:`. */
  private key(at: number): string {
    const t = this.text;
    let end: number;
    let key: string;
    if (t.charCodeAt(at) === QUOTE) {
      end = this.quotedEnd(at);
      key = jsonValue(t.slice(at, end)) as string;
    } else {
      end = at;
      for (;;) {
        const c = t.charCodeAt(end);
        if (c === COLON || c === NL || Number.isNaN(c)) break;
        end++;
      }
      key = t.slice(at, end);
      if (!BARE_KEY.test(key) || RESERVED_KEY.test(key)) throw NOT_OURS;
    }
    if (t.charCodeAt(end) !== COLON || end - at > MAX_IMPLICIT_KEY) throw NOT_OURS;
    this.pos = end + 1;
    return key;
  }

  /** Just past the `"` that closes the double-quoted scalar opened at `at`, on the same line. */
  private quotedEnd(at: number): number {
    const t = this.text;
    const eol = this.lineEnd(at);
    let j = at + 1;
    for (;;) {
      j = t.indexOf('"', j);
      if (j < 0 || j > eol) throw NOT_OURS;
      let b = j - 1;
      while (t.charCodeAt(b) === 92) b--;
      if ((j - 1 - b) % 2 === 0) return j + 1;
      j++;
    }
  }

  /** A block mapping whose entries start at column `col`, the first at `first` (which may follow a `- `). */
  private mapping(col: number, first: number, path: string): Record<string, unknown> {
    const t = this.text;
    const obj: Record<string, unknown> = {};
    let at = first;
    for (;;) {
      const key = this.key(at);
      const keyPath = this.skip ? (path === '' ? key : `${path}.${key}`) : '';
      const c = t.charCodeAt(this.pos);
      if (this.skip?.has(keyPath)) this.skipValue(col);
      else if (c === NL) {
        this.pos++;
        setKey(obj, key, this.nested(col, keyPath));
      } else if (c === SP) setKey(obj, key, this.inline(this.pos + 1, col));
      else throw NOT_OURS;
      const p = this.next(col);
      if (p < 0) return obj;
      at = p + col;
    }
  }

  /** Lines of a skipped value: the rest of this line and every line indented deeper than `col`, or empty. */
  private skipValue(col: number): void {
    const t = this.text;
    this.pos = this.lineEnd(this.pos) + 1;
    while (this.pos < t.length) {
      const e = this.lineEnd(this.pos);
      if (e > this.pos && this.indentOf(this.pos) <= col) return;
      this.pos = e + 1;
    }
  }

  /** The block under an entry at column `col` that ended its line after `:` or `-`: a list or mapping at col + 2. */
  private nested(col: number, path: string): unknown {
    const p = this.nextContent();
    if (p < 0 || this.indentOf(p) !== col + 2) throw NOT_OURS;
    const at = p + col + 2;
    if (this.isItem(at)) return this.list(col + 2, `${path}[]`);
    return this.mapping(col + 2, at, path);
  }

  private isItem(at: number): boolean {
    if (this.text.charCodeAt(at) !== DASH) return false;
    const c = this.text.charCodeAt(at + 1);
    return c === SP || c === NL;
  }

  /** A block list whose dashes are at column `col`; `pos` is at its first item's line. */
  private list(col: number, path: string): unknown[] {
    const t = this.text;
    const out: unknown[] = [];
    let line = this.pos;
    for (;;) {
      const at = line + col + 2;
      if (t.charCodeAt(line + col + 1) === NL) {
        this.pos = at;
        out.push(this.nested(col, path));
      } else if (this.startsKey(at)) out.push(this.mapping(col + 2, at, path));
      else out.push(this.inline(at, col));
      const p = this.next(col);
      if (p < 0) return out;
      if (!this.isItem(p + col)) throw NOT_OURS;
      line = p;
    }
  }

  /** Whether a list item's text at `at` is a mapping's first key (`key:` or `"key":`, then a space or the line's end). */
  private startsKey(at: number): boolean {
    const t = this.text;
    let end: number;
    if (t.charCodeAt(at) === QUOTE) end = this.quotedEnd(at);
    else {
      end = at;
      for (;;) {
        const c = t.charCodeAt(end);
        if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || (c >= 48 && c <= 57 && end > at))) break;
        end++;
      }
      if (end === at) return false;
    }
    if (t.charCodeAt(end) !== COLON) return false;
    const after = t.charCodeAt(end + 1);
    return after === SP || after === NL;
  }

  /** The value written on the line from `at` to its end, after `key: ` or `- ` at column `col`. */
  private inline(at: number, col: number): unknown {
    const t = this.text;
    const eol = this.lineEnd(at);
    this.pos = eol + 1;
    const c = t.charCodeAt(at);
    if (c === 124) return this.literal(t.slice(at, eol), col + 2);
    if (c === APOS) {
      // One line, closed at its end, `''` for each quote.
      if (eol - at < 2 || t.charCodeAt(eol - 1) !== APOS) throw NOT_OURS;
      const body = t.slice(at + 1, eol - 1);
      if (body.replaceAll("''", '').includes("'")) throw NOT_OURS;
      return body.replaceAll("''", "'");
    }
    if (c === QUOTE) {
      if (this.quotedEnd(at) !== eol) throw NOT_OURS;
      return jsonValue(t.slice(at, eol));
    }
    if (c === 91 || c === 123) return jsonValue(t.slice(at, eol));
    const s = t.slice(at, eol);
    if (s === 'true') return true;
    if (s === 'false') return false;
    if (s === 'null') return null;
    if (NUMBER.test(s)) return Number(s);
    if (s === '.nan') return Number.NaN;
    if (s === '.inf') return Infinity;
    if (s === '-.inf') return -Infinity;
    if (PLAIN_STRING.test(s) && !NOT_STRING.test(s) && s.charCodeAt(s.length - 1) !== SP) return s;
    throw NOT_OURS;
  }

  /** A literal block (`|`, `|-` or `|+` on the line before) whose lines are indented by exactly `indent`. */
  private literal(header: string, indent: number): string {
    if (header !== '|' && header !== '|-' && header !== '|+') throw NOT_OURS;
    const t = this.text;
    const lines: string[] = [];
    let blank = 0;
    while (this.pos < t.length) {
      const p = this.pos;
      const e = this.lineEnd(p);
      if (e === p) {
        blank++;
        this.pos = e + 1;
        continue;
      }
      const spaces = this.indentOf(p);
      if (spaces < indent && p + spaces < e) break;
      // A line that starts with a space or holds only spaces: the emitter never writes one.
      if (spaces !== indent || p + spaces === e) throw NOT_OURS;
      for (; blank > 0; blank--) lines.push('');
      lines.push(t.slice(p + indent, e));
      this.pos = e + 1;
    }
    if (lines.length === 0) throw NOT_OURS;
    const body = lines.join('\n');
    return header === '|-' ? body : header === '|' ? `${body}\n` : `${body}\n${'\n'.repeat(blank)}`;
  }
}
