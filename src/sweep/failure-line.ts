/**
 * Why a swept command failed, in one line, from what it printed: the failing test's name and its own
 * assertion or error, read the way vitest, jest and node:test (TAP and spec) print them, never the
 * runner's summary (`❯ test/app.test.ts (1 test | 1 failed)`, `Tests: 1 failed`, `# fail 1`). Pure.
 */

/** CSI (`ESC [ ... m`, `ESC [ ? 25 l`), OSC (`ESC ] ... BEL` or `ESC ] ... ESC \`), other two-byte escapes, and C1 CSI. */
// eslint-disable-next-line no-control-regex
const ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[ -/]*[0-~]|\u009b[0-?]*[ -/]*[@-~]/g;

/** `text` without terminal escape sequences (colours, cursor moves, titles): what a reader of a log or a report should see. */
export function stripAnsi(text: string): string {
  return text.replace(ESCAPES, '');
}

const MAX = 200;
const clip = (s: string): string => (s.length > MAX ? `${s.slice(0, MAX - 1)}…` : s);

/** Lines that only say how many failed, or frame the real ones: never the reason. */
const SUMMARY =
  /^(❯\s.*\(\d+ tests?\b.*\)|Test Files\s|Tests:?\s|Test Suites:|Snapshots:|Time:|Ran all test suites|#\s*(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms)\b|ℹ\s|⎯|FAIL\s+\S+$|×\s|✕\s|npm (ERR!|error)\s|ELIFECYCLE|at\s)/;

/** An error's own first line: `TypeError: terminated`, `AssertionError [ERR_ASSERTION]: Expected ...`, `Error: Test timed out in 5000ms.`. */
const ERROR_HEAD = /^(?:[\w$.]*(?:Error|Exception)(?: \[[^\]]*\])*|Uncaught [\w$.]+):\s*\S/;

/** The first lines of the paragraph starting at `from` that are not code frames or stack lines, joined. */
function message(lines: readonly string[], from: number, extra: RegExp | undefined): string | undefined {
  let i = from;
  while (i < lines.length && lines[i]!.trim() === '') i++;
  const head = lines[i]?.trim();
  if (!head || /^(❯|at\s|>?\s*\d+\s*\|)/.test(head)) return undefined;
  const parts = [head];
  // Jest's own first line is generic (`expect(received).toBe(expected)`): its Expected/Received lines say what differed.
  if (extra) {
    for (let j = i + 1; j < lines.length && j < i + 6; j++) {
      const l = lines[j]!.trim();
      if (extra.test(l)) parts.push(l);
    }
  }
  return parts.join('; ');
}

/** TAP's YAML block after `not ok N - name`: `name: 'TypeError'` and `error: 'text'` or `error: |-` with indented lines. */
function tapMessage(lines: readonly string[], from: number): string | undefined {
  let error: string | undefined;
  let name: string | undefined;
  let kind: string | undefined;
  for (let i = from; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === '...' || /^(not )?ok \d+/.test(l)) break;
    const field = /^(error|name|failureType):\s*(.*)$/.exec(l);
    if (!field) continue;
    const value = field[2]!.replace(/^'(.*)'$/, '$1');
    if (field[1] === 'name') name = value;
    else if (field[1] === 'failureType') kind = value;
    else if (/^[|>]-?$/.test(value)) error = lines.slice(i + 1).find((x) => x.trim() !== '')?.trim();
    else error = value;
  }
  // A suite or file whose subtests failed: the subtest's own entry (earlier in TAP) says why.
  if (kind === 'subtestsFailed' || error === undefined) return undefined;
  return name && !error.startsWith(name) ? `${name}: ${error}` : error;
}

/**
 * The line that says why a run failed: `<test name>: <its assertion or error>` when the output is a test
 * runner's, else the first line that names an error, else the first line; undefined for no output.
 *
 * @example
 * failureLine(' FAIL  test/app.test.ts > answers\nAssertionError: expected 1 to be 2\n'); // 'answers: AssertionError: expected 1 to be 2'
 */
export function failureLine(output: string): string | undefined {
  const lines = stripAnsi(output).split(/\r?\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    let m: RegExpExecArray | null;
    let found: string | undefined;
    // vitest: ` FAIL  test/app.test.ts > suite > test` (or `[ file ]` when the file itself failed), then the error.
    if ((m = /^FAIL\s+\S+\s+(?:>\s+(.+)|\[\s*(.+?)\s*\])$/.exec(l))) found = named(m[1] ?? m[2]!, message(lines, i + 1, undefined));
    // jest: `● suite › test`, then the message (its `● Console` blocks are the app's logging).
    else if ((m = /^●\s+(.+)$/.exec(l)) && m[1] !== 'Console') found = named(m[1]!, message(lines, i + 1, /^(Expected|Received)\b/));
    // node:test, TAP: `not ok 1 - test`, then a YAML block.
    else if ((m = /^not ok \d+ - (.+)$/.exec(l))) found = named(m[1]!, tapMessage(lines, i + 1));
    // node:test, spec: `✖ test (3.1ms)`, then the error indented.
    else if ((m = /^✖\s+(.+?)\s+\([\d.]+m?s\)$/.exec(l))) found = named(m[1]!, message(lines, i + 1, undefined));
    if (found) return clip(found);
  }
  const kept = lines.map((l) => l.trim()).filter((l) => l !== '');
  const line = kept.find((l) => ERROR_HEAD.test(l) || (!SUMMARY.test(l) && /\b(error|failed|fail)\b|✗|×/i.test(l))) ?? kept.find((l) => !SUMMARY.test(l)) ?? kept.find((l) => /^[×✕]\s/.test(l)) ?? kept[0];
  return line === undefined ? undefined : clip(line);
}

const named = (name: string, text: string | undefined): string | undefined => (text === undefined ? undefined : `${name.trim()}: ${text}`);
