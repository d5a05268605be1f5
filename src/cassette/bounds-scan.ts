import { TraceForgeError } from '../errors.js';
import { shortText } from '../util/one-line.js';
import { limitError, type CassetteLimits } from './bounds.js';

/**
 * A byte-level pass over a cassette as it is read, ahead of the YAML parser: it follows just enough of
 * YAML's structure (indentation, `- ` items, `key: ` entries, flow brackets, quoted, plain and block
 * scalars, document markers) to count items per list, entries per mapping, nesting and scalar sizes,
 * and throws at the first limit crossed, with the bytes read so far and nothing built. It keeps no text,
 * so a 40 MB hostile file costs its read buffer. Where it cannot tell (a line that is no YAML) it counts
 * more, never less: a document it passes can still be invalid YAML, which the parser then reports.
 * Pure: bytes in, a throw or nothing out.
 */
export interface BoundsScanner {
  push(chunk: Uint8Array): void;
  end(): void;
  /**
   * What the scan found wrong with interaction `index` (a shape YAML rejects), so that it is skipped
   * without being parsed: `yaml` reports such errors once per line, slowly. Undefined when nothing was.
   */
  invalid(index: number): TraceForgeError | undefined;
}

const shown = (b: number): string => (b > 0x20 && b < 0x7f ? `\`${String.fromCharCode(b)}\`` : `byte 0x${b.toString(16).padStart(2, '0')}`);

const NL = 10;
const CR = 13;
const SP = 32;
const TAB = 9;

interface Frame {
  col: number;
  map: boolean;
  items: number;
  /** The entry being read (maps; first bytes of a plain key). */
  key: string;
  /** What the list is, for the message. */
  name: string;
}

const enum M {
  LineStart,
  Head,
  Value,
  Plain,
  Colon,
  Dash,
  After,
  Flow,
  FlowPlain,
  Dq,
  DqEscape,
  Sq,
  SqEnd,
  Token,
  Comment,
  BlockHeader,
  BlockIndent,
  RestIsScalar,
  /** The rest of a document found invalid: only its end is looked for. */
  Skip,
}

/**
 * `file` names the cassette in messages. Documents are counted from its `---` lines: the text before
 * the first is the header (or all of a version 1 cassette, whose `interactions:` items are counted instead).
 */
export function createBoundsScanner(file: string, limits: CassetteLimits): BoundsScanner {
  let mode = M.LineStart;
  let line = 1;
  let col = -1; // the column of the byte being read: step() counts it in first
  let doc = 0;
  let v1Index: number | undefined;
  let stack: Frame[] = [];
  let flow: Frame[] = [];
  let scalar = 0;
  // The mode a quoted scalar or comment returns to: Flow inside brackets, After in block context.
  let head = '';
  let headResume = M.LineStart;
  let nodeCol = 0;
  let nodeAtLineStart = false;
  let entryCounted = false;
  let keyText = '';
  let prevBlank = true;
  let plainOpen = false;
  let plainParent = -1;
  let blockParent = -1;
  let inBlockScalar = false;
  let quoteResume = M.After;
  let lastCR = false;
  let noMarker = false;

  const index = () => (doc > 0 ? doc - 1 : v1Index);
  const over = (limit: keyof CassetteLimits, where?: string): never => {
    throw limitError(file, line, index(), limit, limits, where);
  };
  const depth = () => {
    if (stack.length + flow.length > limits.maxDepth) over('maxDepth');
  };
  const grow = (n: number) => {
    scalar += n;
    if (scalar > limits.maxScalarBytes) over('maxScalarBytes');
  };
  const count = (f: Frame) => {
    f.items++;
    if (f.map ? f.items > limits.maxKeys : f.items > limits.maxChunks) over(f.map ? 'maxKeys' : 'maxChunks', f.name);
    if (f.name === 'interactions' && doc === 0) v1Index = f.items - 1;
  };
  const nameFor = (map: boolean): string => {
    if (map) return 'a mapping';
    const parent = stack[stack.length - 1];
    const key = flow.length === 0 && parent?.map ? parent.key : '';
    if (key === 'chunks') return 'its chunks';
    if (key === 'body') return 'its body reads';
    if (key === 'interactions' && stack.length === 1 && doc === 0) return 'interactions';
    return 'a list';
  };
  const push = (into: Frame[], col: number, map: boolean) => {
    const f: Frame = { col, map, items: 0, key: '', name: nameFor(map) };
    into.push(f);
    depth();
    count(f);
  };
  const top = () => stack[stack.length - 1];

  /** A node starts at `col`; `dash` when it is a `- ` item. Lines at a smaller indentation close what they left. */
  const blockNode = (c: number, dash: boolean, atLineStart: boolean) => {
    if (atLineStart) {
      while (stack.length > 0 && top()!.col > c) stack.pop();
      if (!dash && top()?.col === c && !top()!.map) stack.pop(); // a sequence at its key's indentation ends
    }
    entryCounted = false;
    if (dash) {
      const t = top();
      if (atLineStart && t && t.col === c && !t.map) count(t);
      else push(stack, c, false);
      return;
    }
    nodeCol = c;
    nodeAtLineStart = atLineStart;
    const t = top();
    // Every line that starts at a mapping's indentation is one of its entries, a key or not (a line that
    // is no key is a YAML error the parser reports per line, slowly: it is counted like a key).
    if (atLineStart && t && t.col === c && t.map) {
      count(t);
      entryCounted = true;
    }
  };
  /** `: ` after the node that started at nodeCol: it was a key. */
  const keyEnds = () => {
    const t = top();
    if (!(entryCounted && t && t.col === nodeCol && t.map)) push(stack, nodeCol, true);
    entryCounted = false;
    top()!.key = keyText;
  };
  const resetDoc = () => {
    stack = [];
    flow = [];
    inBlockScalar = false;
    plainOpen = false;
  };
  const invalidDocs = new Map<number, TraceForgeError>();
  const invalid = (what: string): void => {
    const e = new TraceForgeError('E_CASSETTE_INVALID', `${shortText(file)}:${line}: invalid YAML: ${what}`);
    // In the header (or a version 1 cassette) it refuses the cassette; in an interaction, that one is skipped.
    if (doc === 0) throw e;
    invalidDocs.set(doc - 1, e);
    mode = M.Skip;
  };

  /** The first byte of a node in block context, at column `col`. */
  const value = (b: number, atLineStart: boolean) => {
    switch (b) {
      case SP:
      case TAB:
        return;
      case NL:
      case CR:
        return newline(b);
      case 0x2d: // -
        nodeCol = col;
        nodeAtLineStart = atLineStart;
        mode = M.Dash;
        return;
      case 0x3f: // ? (an explicit key)
        blockNode(col, false, atLineStart);
        keyText = '';
        keyEnds();
        return;
      case 0x3a: // : (an explicit key's value)
        return;
      case 0x5b: // [
      case 0x7b: // {
        blockNode(col, false, atLineStart);
        push(flow, col, b === 0x7b);
        mode = M.Flow;
        return;
      case 0x22: // "
      case 0x27: // '
        blockNode(col, false, atLineStart);
        scalar = 1;
        quoteResume = M.After;
        mode = b === 0x22 ? M.Dq : M.Sq;
        return;
      case 0x7c: // |
      case 0x3e: // >
        blockNode(col, false, atLineStart);
        blockParent = top()?.col ?? -1;
        mode = M.BlockHeader;
        return;
      case 0x26: // & anchor, ! tag, * alias: refused later; skipped here
      case 0x21:
      case 0x2a:
        if (b === 0x2a) blockNode(col, false, atLineStart);
        scalar = 0;
        mode = M.Token;
        return;
      case 0x23: // #
        mode = M.Comment;
        return;
      case 0x5d: // ]
      case 0x7d: // }
      case 0x2c: // ,
        // No plain scalar starts with these; `yaml` reports the error once per line, slowly (2 MB of `]` lines: 22 s).
        return invalid(`${shown(b)} where no flow collection is open`);
      default:
        blockNode(col, false, atLineStart);
        scalar = 1;
        keyText = String.fromCharCode(b);
        prevBlank = false;
        mode = M.Plain;
    }
  };

  /** A line break inside a quoted scalar or brackets: the next line goes on in the same mode. */
  const breakKeepingMode = (b: number) => {
    if (b === CR) lastCR = true;
    line++;
    col = -1; // the next byte's increment makes it 0
  };
  const newline = (b: number) => {
    breakKeepingMode(b);
    mode = M.LineStart;
  };

  /** A byte in a flow collection, between scalars. */
  const inFlow = (b: number) => {
    switch (b) {
      case 0x5b:
      case 0x7b:
        push(flow, col, b === 0x7b);
        return;
      case 0x5d:
      case 0x7d:
        flow.pop();
        if (flow.length === 0) mode = M.After;
        return;
      case 0x2c:
        count(flow[flow.length - 1]!);
        return;
      case 0x22:
      case 0x27:
        scalar = 1;
        quoteResume = M.Flow;
        mode = b === 0x22 ? M.Dq : M.Sq;
        return;
      case 0x23:
        if (prevBlank) {
          quoteResume = M.Flow;
          mode = M.Comment;
        }
        return;
      case NL:
      case CR:
        breakKeepingMode(b);
        prevBlank = true;
        return;
      case SP:
      case TAB:
      case 0x3a: // : between a key and its value
        prevBlank = true;
        return;
      default:
        scalar = 1;
        mode = M.FlowPlain;
    }
  };

  const step = (b: number): void => {
    if (lastCR) {
      lastCR = false;
      if (b === NL) return; // CRLF is one line break
    }
    col++;
    switch (mode) {
      case M.LineStart: {
        if (b === SP || b === TAB) return;
        if (col === 0 && !noMarker && (b === 0x2d || b === 0x2e)) {
          head = String.fromCharCode(b);
          mode = M.Head;
          return;
        }
        noMarker = false;
        return lineStarts(b);
      }
      case M.Head: {
        if (head.length < 3 && b === head.charCodeAt(0)) {
          head += String.fromCharCode(b);
          return;
        }
        const marker = head.length === 3 && (b === SP || b === TAB || b === NL || b === CR);
        if (marker) {
          resetDoc();
          if (head === '---') doc++;
          mode = head === '---' ? M.Value : M.Comment;
          quoteResume = M.After;
          if (b === NL || b === CR) newline(b);
          return;
        }
        // Not a marker: replay the bytes held back, as the mode they interrupted would have read them.
        const held = head;
        mode = headResume;
        col = -1;
        noMarker = true;
        for (let i = 0; i < held.length; i++) step(held.charCodeAt(i));
        return step(b);
      }
      case M.Value:
        return value(b, false);
      case M.Dash: {
        if (b === SP || b === TAB || b === NL || b === CR) {
          blockNode(nodeCol, true, nodeAtLineStart);
          if (b === NL || b === CR) return newline(b);
          mode = M.Value;
          return;
        }
        // `-1`, `-x`: a plain scalar that starts with a dash.
        blockNode(nodeCol, false, nodeAtLineStart);
        scalar = 1;
        keyText = '-';
        prevBlank = false;
        mode = M.Plain;
        return step2(b);
      }
      case M.Plain: {
        if (b === NL || b === CR) {
          plainOpen = true;
          plainParent = top()?.col ?? -1;
          return newline(b);
        }
        if (b === 0x3a) {
          mode = M.Colon;
          return;
        }
        if (b === 0x23 && prevBlank) {
          mode = M.Comment;
          return;
        }
        prevBlank = b === SP || b === TAB;
        if (keyText.length < 24) keyText += String.fromCharCode(b);
        return grow(1);
      }
      case M.Colon: {
        if (b === SP || b === TAB || b === NL || b === CR) {
          keyEnds();
          scalar = 0;
          if (b === NL || b === CR) return newline(b);
          mode = M.Value;
          return;
        }
        mode = M.Plain;
        if (keyText.length < 24) keyText += ':';
        grow(1);
        return step2(b);
      }
      case M.After: {
        if (b === SP || b === TAB) return;
        if (b === NL || b === CR) return newline(b);
        if (b === 0x3a) {
          keyText = '';
          mode = M.Colon;
          return;
        }
        if (b === 0x23) {
          mode = M.Comment;
          return;
        }
        // Only `: `, a comment or the line's end may follow a closed quote or bracket in block context.
        return invalid(`${shown(b)} after a closed quote or bracket`);
      }
      case M.Flow:
        return inFlow(b);
      case M.FlowPlain: {
        switch (b) {
          case 0x2c:
          case 0x5b:
          case 0x5d:
          case 0x7b:
          case 0x7d:
            mode = M.Flow;
            return inFlow(b);
          case NL:
          case CR:
            // A plain scalar goes on across lines inside brackets.
            breakKeepingMode(b);
            return grow(1);
          default:
            return grow(1);
        }
      }
      case M.Dq: {
        if (b === 0x22) {
          mode = quoteResume;
          prevBlank = false;
          return;
        }
        if (b === 0x5c) mode = M.DqEscape;
        if (b === NL || b === CR) breakKeepingMode(b);
        return grow(1);
      }
      case M.DqEscape: {
        mode = M.Dq;
        if (b === NL || b === CR) breakKeepingMode(b);
        return grow(1);
      }
      case M.Sq: {
        if (b === 0x27) {
          mode = M.SqEnd;
          return;
        }
        if (b === NL || b === CR) breakKeepingMode(b);
        return grow(1);
      }
      case M.SqEnd: {
        if (b === 0x27) {
          mode = M.Sq;
          return grow(2);
        }
        mode = quoteResume;
        prevBlank = false;
        col--;
        return step(b);
      }
      case M.Token: {
        if (b === SP || b === TAB) {
          mode = M.Value;
          return;
        }
        if (b === NL || b === CR) return newline(b);
        return grow(1);
      }
      case M.Comment: {
        if (b === NL || b === CR) {
          if (quoteResume === M.Flow && flow.length > 0) {
            breakKeepingMode(b);
            prevBlank = true;
            mode = M.Flow;
            return;
          }
          return newline(b);
        }
        return;
      }
      case M.BlockHeader: {
        if (b === NL || b === CR) {
          inBlockScalar = true;
          scalar = 0;
          return newline(b);
        }
        return;
      }
      case M.RestIsScalar: {
        if (b === NL || b === CR) return newline(b);
        return grow(1);
      }
      case M.Skip: {
        if (b === NL || b === CR) breakKeepingMode(b);
        return;
      }
      default:
        return;
    }
  };

  /** The first byte after a line's indentation (at column `col`), outside quotes and brackets. */
  const lineStarts = (b: number): void => {
    if (inBlockScalar) {
      if (b === NL || b === CR || col > blockParent) {
        if (b === NL || b === CR) return newline(b);
        mode = M.RestIsScalar;
        return grow(1 + col);
      }
      inBlockScalar = false;
    }
    if (b === NL || b === CR) return newline(b);
    if (b === 0x23) {
      plainOpen = false;
      mode = M.Comment;
      quoteResume = M.After;
      return;
    }
    if (plainOpen && col > plainParent) {
      mode = M.RestIsScalar;
      return grow(1);
    }
    plainOpen = false;
    mode = M.Value;
    return value(b, true);
  };

  // Re-enter the current mode with a byte already counted in `col`.
  const step2 = (b: number) => {
    col--;
    step(b);
  };

  /** Where the run of bytes that `mode` passes over unchanged ends (a line break, a quote, an indicator). */
  const runEnd = (buf: Uint8Array, from: number, m: M): number => {
    let j = from;
    switch (m) {
      case M.RestIsScalar:
        while (j < buf.length && buf[j] !== NL && buf[j] !== CR) j++;
        return j;
      case M.Sq:
        while (j < buf.length && buf[j] !== 0x27 && buf[j] !== NL && buf[j] !== CR) j++;
        return j;
      case M.Dq:
        while (j < buf.length && buf[j] !== 0x22 && buf[j] !== 0x5c && buf[j] !== NL && buf[j] !== CR) j++;
        return j;
      case M.Plain: {
        let c: number;
        while (j < buf.length && (c = buf[j]!) !== NL && c !== CR && c !== 0x3a && c !== 0x23 && c !== SP && c !== TAB) j++;
        if (j > from) {
          prevBlank = false;
          // A byte at a time: spreading a subarray into fromCharCode made this loop most of a cassette's load time.
          for (let k = from, end = Math.min(j, from + 24 - keyText.length); k < end; k++) keyText += String.fromCharCode(buf[k]!);
        }
        return j;
      }
      default:
        return from;
    }
  };

  // Quoted scalars and flow collections span lines: their line starts only matter for markers.
  const spanning = () => mode === M.Skip || mode === M.Dq || mode === M.DqEscape || mode === M.Sq || mode === M.Flow || mode === M.FlowPlain || (mode === M.Comment && quoteResume === M.Flow && flow.length > 0);

  return {
    push(chunk) {
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i]!;
        if (col === -1 && spanning() && (b === 0x2d || b === 0x2e)) {
          lastCR = false;
          // A `---` or `...` line ends the document wherever it is, inside a quote too.
          headResume = mode;
          head = String.fromCharCode(b);
          col = 0;
          mode = M.Head;
          continue;
        }
        if (mode === M.LineStart) {
          headResume = M.LineStart;
          if (b === SP && !lastCR) {
            // Indentation, in one go.
            let j = i + 1;
            while (j < chunk.length && chunk[j] === SP) j++;
            col += j - i;
            i = j - 1;
            continue;
          }
        } else if (mode === M.Skip && col >= 0 && !lastCR) {
          let j = i;
          while (j < chunk.length && chunk[j] !== NL && chunk[j] !== CR) j++;
          if (j > i) {
            col += j - i;
            i = j - 1;
            continue;
          }
        } else if (col >= 0 && !lastCR) {
          // Runs with nothing structural in them (most of a cassette: literal text, quoted strings, plain
          // values) are skipped to their end in one go; the run's end is read by step() as usual.
          const stop = runEnd(chunk, i, mode);
          if (stop > i) {
            grow(stop - i);
            col += stop - i;
            i = stop - 1;
            continue;
          }
        }
        step(b);
      }
    },
    end() {
      if (mode === M.Head) step(NL);
    },
    invalid: (index) => invalidDocs.get(index),
  };
}
