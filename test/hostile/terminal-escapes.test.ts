/**
 * Recorded data is attacker-controlled (the upstream writes the response, the client the request): a
 * model name `gpt ESC]0;PWNED BEL ESC[2J` set the window title and cleared the screen when `trace list`
 * or `trace view --text` printed it, and an OSC 52 sequence in content wrote the clipboard. Everything
 * printed from a trace shows control characters as visible escapes instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCall } from '../../src/cli/format.js';
import { diffTraces } from '../../src/trace/diff.js';
import type { Trace } from '../../src/trace/types.js';
import { renderDiff } from '../../src/tui/diff-render.js';
import { renderTable } from '../../src/tui/list-table.js';
import { buildViewModel, renderTextView, requestLines, responseLines, summaryLines, timelineRows } from '../../src/tui/panels.js';
import { ansiStyle, blessedStyle, plainStyle } from '../../src/tui/style.js';
import { visible } from '../../src/util/visible.js';
import { makeOpenAIStreamTrace } from '../helpers/make-trace.js';
import { projectWith, runCli } from '../cli/trace-cli-helpers.js';

const TITLE = '\u001b]0;PWNED\u0007';
const CLEAR = '\u001b[2J';
const OSC52 = '\u001b]52;c;cm0gLXJmIH4K\u0007';
const C1_CSI = '\u009b31m';
const MODEL = `gpt${TITLE}${CLEAR}`;

/** Raw control bytes a terminal acts on: C0 other than newline and tab (so ESC, BEL, CR, BS), DEL and C1. */
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
/** Our own colour codes (SGR) are the only escapes allowed in coloured output. */
// eslint-disable-next-line no-control-regex
const withoutOwnColour = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');

function hostile(id: string, text: string): Trace {
  const t = makeOpenAIStreamTrace({
    id,
    model: MODEL,
    text,
    messages: [{ role: 'user', content: `hi ${OSC52} there${CLEAR}` }],
    params: { temperature: 0.2, user: `u${TITLE}` },
    finishReason: `stop${C1_CSI}`,
  });
  t.metadata.model = MODEL;
  t.endpoint = `/v1/chat/completions${CLEAR}`;
  t.http.url = `/v1/chat/completions${CLEAR}`;
  t.http.error = `upstream said ${CLEAR}\u0007bye\r${C1_CSI}`;
  return t;
}

/** A status message or header with controls in it is refused when the trace is read: the refusal must not print them raw. */
function badHeaders(id: string): Trace {
  const t = hostile(id, 'fine');
  t.http.status_message = `OK${TITLE}`;
  t.http.response_headers.push([`x-evil${CLEAR}`, `v${OSC52}`]);
  t.http.request_headers[`x-evil${TITLE}`] = `w${C1_CSI}`;
  return t;
}

const A = hostile('aaaa11112222', `Hello ${OSC52} world ${C1_CSI}red\u0008\u0008 and more${TITLE}`);
const B = hostile('bbbb33334444', `Hello ${CLEAR} planet ${OSC52} and more${TITLE}`);
const C = badHeaders('cccc55556666');

function expectClean(out: string, what: string): void {
  const m = RAW.exec(out);
  expect(m, `${what}: raw control ${m ? JSON.stringify(m[0]) : ''} at ${m?.index} in ${JSON.stringify(out.slice(Math.max(0, (m?.index ?? 0) - 40), (m?.index ?? 0) + 40))}`).toBeNull();
}

describe('visible', () => {
  it('shows C0, DEL, C1 and bidi controls as escapes, keeping newline and tab by default', () => {
    expect(visible(MODEL)).toBe('gpt\\x1b]0;PWNED\\x07\\x1b[2J');
    expect(visible(`a${C1_CSI}\u007f\u202e`)).toBe('a\\u009b31m\\x7f\\u202e');
    expect(visible('a\n\tb\r')).toBe('a\n\tb\\x0d');
    expect(visible('a\nb', '')).toBe('a\\x0ab');
    expect(visible(visible(MODEL))).toBe(visible(MODEL));
  });
});

describe('views built from a trace with escape sequences', () => {
  it('the text view, in every style, shows them as visible escapes', () => {
    const vm = buildViewModel(A);
    expectClean(renderTextView(vm, plainStyle, 100), 'plain text view');
    expectClean(withoutOwnColour(renderTextView(vm, ansiStyle(), 100)), 'ANSI text view');
    const tui = [...summaryLines(vm, blessedStyle), ...responseLines(vm, blessedStyle), ...requestLines(vm, blessedStyle), ...timelineRows(vm, blessedStyle, 100)].join('\n');
    expectClean(tui, 'TUI panels');
    expect(renderTextView(vm, plainStyle, 100)).toContain('gpt\\x1b]0;PWNED\\x07\\x1b[2J');
  });

  it('the list table and the diff show them as visible escapes', () => {
    const row = { id: A.id, timestamp: A.timestamp, endpoint: A.endpoint, method: 'POST', model: MODEL, provider: 'openai', stream: true, http_status: 200, status: 'success', outcome: 'complete', chunks: 3, duration_ms: 5, ttfb_ms: 1, file: 'x.json' };
    const table = renderTable([row as never], plainStyle);
    expectClean([table.header, ...table.lines].join('\n'), 'list table');
    const d = diffTraces(A, B);
    for (const [st, markers] of [[plainStyle, true], [ansiStyle(), false], [blessedStyle, false]] as const) {
      expectClean(withoutOwnColour(renderDiff(d, A, B, st, { width: 120, markers }).join('\n')), 'diff');
    }
  });

  it("the recorder's per-call line shows them as visible escapes", () => {
    const line = describeCall(A);
    expectClean(line, 'describeCall');
    expect(line).toContain('\\x1b[2J');
  });
});

describe('the trace commands on a trace with escape sequences', () => {
  let project: { cwd: string; cleanup(): Promise<void> };
  beforeAll(async () => {
    project = await projectWith([A, B, C]);
  });
  afterAll(() => project.cleanup());

  it('trace list prints no raw control characters, as a table or as JSON', async () => {
    const table = await runCli(project.cwd, ['trace', 'list']);
    expect(table.code).toBe(0);
    expectClean(table.stdout + table.stderr, 'trace list');
    expect(table.stdout).toContain('\\x1b');
    expect(table.stdout).toContain(`hi ${visible(OSC52)} there`); // the prompt column, shown and not obeyed

    const json = await runCli(project.cwd, ['trace', 'list', '--json']);
    expect(json.code).toBe(0);
    expectClean(json.stdout + json.stderr, 'trace list --json');
    const rows = JSON.parse(json.stdout) as Array<{ model: string; endpoint: string }>;
    // The JSON still carries the exact recorded values.
    expect(rows.map((r) => r.model)).toEqual([MODEL, MODEL, MODEL]);
    expect(rows.every((r) => r.endpoint === A.endpoint)).toBe(true);
  });

  it('trace view --text prints no raw control characters, with or without colour', async () => {
    for (const env of [{}, { FORCE_COLOR: '1' }]) {
      const r = await runCli(project.cwd, ['trace', 'view', A.id, '--text'], env);
      expect(r.code, r.stderr).toBe(0);
      expectClean(withoutOwnColour(r.stdout + r.stderr), `trace view --text ${JSON.stringify(env)}`);
      expect(r.stdout).toContain('PWNED');
    }
  });

  it('trace diff prints no raw control characters, with or without colour', async () => {
    for (const env of [{}, { FORCE_COLOR: '1' }]) {
      const r = await runCli(project.cwd, ['trace', 'diff', A.id, B.id, '--text'], env);
      expect(r.code, r.stderr).toBe(0);
      expectClean(withoutOwnColour(r.stdout + r.stderr), `trace diff ${JSON.stringify(env)}`);
      expect(r.stdout).toContain('planet');
    }
  });

  it('a trace refused for controls in its headers is reported without them', async () => {
    for (const args of [['trace', 'view', C.id, '--text'], ['trace', 'diff', A.id, C.id, '--text']]) {
      const r = await runCli(project.cwd, args);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('x-evil');
      expectClean(r.stdout + r.stderr, args.join(' '));
    }
  });
});
