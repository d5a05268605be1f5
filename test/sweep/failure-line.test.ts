/**
 * The reason a sweep row gives for a failed run: the failing test and its own assertion or error, read from
 * what vitest 4, jest 30 and node:test (TAP and spec) print (the samples are their real output, NO_COLOR),
 * never the runner's summary line.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failureLine, stripAnsi } from '../../src/sweep/failure-line.js';

const VITEST = `
 RUN  v4.1.12 /app

 ❯ test/other.test.ts (1 test) 40ms
 ❯ test/app.test.ts (2 tests | 2 failed) 5715ms
   × answers 8ms
   × waits 5006ms

⎯⎯⎯⎯⎯⎯⎯ Failed Tests 2 ⎯⎯⎯⎯⎯⎯⎯

 FAIL  test/app.test.ts > chat > answers
AssertionError: expected 'Str' to be 'Streams can fail' // Object.is equality

Expected: "Streams can fail"
Received: "Str"

 ❯ test/app.test.ts:2:37
      1| import { expect, it } from 'vitest';
       |                                     ^

⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯[1/2]⎯

 FAIL  test/app.test.ts > waits
Error: Test timed out in 5000ms.
If this is a long-running test, pass a timeout value as the last argument or configure it globally with "testTimeout".

 Test Files  1 failed (1)
      Tests  2 failed (2)
`;

const JEST = `FAIL jt/a.test.js
  ✕ answers (10 ms)

  ● Console

    console.log
      streaming...

  ● answers

    expect(received).toBe(expected) // Object.is equality

    Expected: "Streams can fail"
    Received: "Str"

    > 1 | test('answers', () => { expect('Str').toBe('Streams can fail'); });
        |                                       ^

Test Suites: 1 failed, 1 total
Tests:       1 failed, 1 total
`;

const NODE_TAP = `TAP version 13
# Subtest: /app/test/app.test.mjs
    # Subtest: throws
    not ok 1 - throws
      ---
      duration_ms: 0.5391
      failureType: 'testCodeFailure'
      error: 'terminated'
      code: 'ERR_TEST_FAILURE'
      name: 'TypeError'
      stack: |-
        TestContext.<anonymous> (file:///app/test/app.test.mjs:3:36)
      ...
    1..1
not ok 1 - /app/test/app.test.mjs
  ---
  duration_ms: 210.5
  failureType: 'subtestsFailed'
  error: '1 subtest failed'
  code: 'ERR_TEST_FAILURE'
  ...
# fail 1
`;

const NODE_TAP_BLOCK = `not ok 1 - answers
  ---
  failureType: 'testCodeFailure'
  error: |-
    Expected values to be strictly equal:
    + actual - expected
  code: 'ERR_ASSERTION'
  name: 'AssertionError'
  ...
`;

const NODE_SPEC = `✖ answers (3.036616ms)
  AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:
  + actual - expected
      at TestContext.<anonymous> (file:///app/nt.test.mjs:2:32)

ℹ tests 1
ℹ fail 1
`;

describe('failureLine', () => {
  it("names the failing test and its own error in vitest's, jest's and node:test's output, never the summary", () => {
    expect(failureLine(VITEST)).toBe("chat > answers: AssertionError: expected 'Str' to be 'Streams can fail' // Object.is equality");
    expect(failureLine(VITEST.replace(/ FAIL {2}test\/app.test.ts > chat > answers[^]*?\[1\/2\]⎯\n/, ''))).toBe('waits: Error: Test timed out in 5000ms.');
    // Jest's own first line is generic: what differed follows it. Its console blocks are the app's logging.
    expect(failureLine(JEST)).toBe('answers: expect(received).toBe(expected) // Object.is equality; Expected: "Streams can fail"; Received: "Str"');
    // TAP: the subtest's error, not its file's "1 subtest failed".
    expect(failureLine(NODE_TAP)).toBe('throws: TypeError: terminated');
    expect(failureLine(NODE_TAP_BLOCK)).toBe('answers: AssertionError: Expected values to be strictly equal:');
    expect(failureLine(NODE_SPEC)).toBe('answers: AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:');
  });

  it('outside a runner: the first line naming an error, skipping summaries; npm around a runner changes nothing', () => {
    expect(failureLine('connecting\napp failed: TypeError: terminated\n    at x (app.js:1:1)\n')).toBe('app failed: TypeError: terminated');
    expect(failureLine(`\n> app@1.0.0 test\n> vitest run\n${VITEST}npm error Lifecycle script \`test\` failed with error:\n`)).toMatch(/^chat > answers: AssertionError/);
    expect(failureLine(' ❯ test/app.test.ts (1 test | 1 failed) 5715ms\n   × answers 5713ms\n Test Files  1 failed (1)\n')).toBe('× answers 5713ms');
    expect(failureLine('')).toBeUndefined();
    expect(failureLine('\u001b[31mFAIL\u001b[39m  test/a.test.ts > a\n\u001b[31mError: boom\u001b[39m')).toBe('a: Error: boom');
  });

  const name = fc.stringMatching(/^[A-Za-z][\w ]{0,40}[\w]$/);
  const text = fc.stringMatching(/^[A-Za-z][^\n\r\u001b\u009b]{0,300}$/).filter((s) => s.trim() === s);
  const clip = (s: string) => (s.length > 200 ? `${s.slice(0, 199)}…` : s);

  it('reads any test name and error back from vitest, jest and TAP shapes, in one line of at most 200 characters', () => {
    fc.assert(
      fc.property(name, text, (n, m) => {
        const error = `Error: ${m}`;
        expect(failureLine(` ❯ test/a.test.ts (1 test | 1 failed) 9ms\n   × ${n} 9ms\n\n FAIL  test/a.test.ts > ${n}\n${error}\n ❯ test/a.test.ts:1:1\n`)).toBe(clip(`${n}: ${error}`));
        expect(failureLine(`FAIL test/a.test.js\n  ✕ ${n} (1 ms)\n\n  ● ${n}\n\n    ${error}\n\n      at x\n`)).toBe(clip(`${n}: ${error}`));
        expect(failureLine(`not ok 1 - ${n}\n  ---\n  error: ${JSON.stringify(m).replace(/^"|"$/g, "'")}\n  name: 'TypeError'\n  ...\n`)).toBe(clip(`${n}: TypeError: ${m.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}`));
      }),
    );
  });

  it('never returns an escape sequence or a line break, whatever the output', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('\u001b[31m', '\u001b]0;x\u0007', '\n', ' FAIL  a > b', '● x', 'not ok 1 - t', 'Error: e')), { maxLength: 30 }), (parts) => {
        const line = failureLine(parts.join(''));
        if (line === undefined) return;
        expect(line).not.toMatch(/[\u001b\u009b\r\n]/);
        expect(line.length).toBeLessThanOrEqual(200);
      }),
    );
  });

  it('stripAnsi removes colours, cursor moves and titles and keeps the text', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('\u001b[1;31m', '\u001b[39m', '\u001b[?25l', '\u001b[2K', '\u001b]0;title\u0007', '\u001b]8;;http://x\u001b\\', '\u009b0m'), fc.stringMatching(/^[^\u001b\u009b]*$/))), (pairs) => {
        expect(stripAnsi(pairs.map(([e, t]) => e + t).join(''))).toBe(pairs.map(([, t]) => t).join(''));
      }),
    );
  });
});
