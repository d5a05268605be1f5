import { describe, expect, it } from 'vitest';
import type { TraceRow } from '../../src/store/trace-row.js';
import { filterRows, renderTable } from '../../src/tui/list-table.js';
import { ansiStyle, plainStyle, shouldColor } from '../../src/tui/style.js';

const row = (over: Partial<TraceRow>): TraceRow => ({
  file: 'f.json',
  id: 'id',
  timestamp: '2026-05-01T10:00:00.000Z',
  endpoint: '/v1/chat/completions',
  method: 'POST',
  model: 'gpt-4o-mini',
  provider: 'openai',
  stream: true,
  status: 'success',
  http_status: 200,
  outcome: 'complete',
  chunks: 12,
  duration_ms: 1234.5,
  ttfb_ms: 300,
  ...over,
});

const rows = [
  row({ id: 'aaaa0000one', model: 'claude-sonnet-4-5-20250929-with-a-long-name', endpoint: '/v1/messages', provider: 'anthropic' }),
  row({ id: 'bbbb0000two', stream: false, chunks: null, status: 'error', http_status: 429 }),
  row({ id: 'cccc0000three', outcome: 'upstream_aborted', status: 'error' }),
];

describe('renderTable', () => {
  it('aligns columns and shows short ids, types, outcomes and unknowns', () => {
    const { header, lines } = renderTable(rows, plainStyle);
    expect(header).toMatch(/^ID {8}TIME/);
    expect(lines[0]).toMatch(/^aaaa0000 .*claude-sonnet-…h-a-long-name +Stream +200 +12 +1\.23 s +300\.0 ms +— *$/); // both ends of a long model
    expect(lines[1]).toMatch(/Normal +429 +— /);
    expect(lines[2]).toMatch(/Stream +200 dropped +12/);
    const starts = [header, ...lines].map((l) => l.indexOf('  ', 8));
    expect(new Set(starts).size).toBe(1);
  });

  it('fits a narrow terminal by dropping the year and narrowing endpoint and model', () => {
    const { header, lines } = renderTable(rows, plainStyle, undefined, 100);
    for (const l of [header, ...lines]) expect(l.length).toBeLessThanOrEqual(100);
    expect(lines[0]).toContain('05-01 ');
    expect(lines[0]).not.toContain('2026-');
  });

  it('pads before colouring, so escape codes never shift columns', () => {
    const plain = renderTable(rows, plainStyle).lines;
    const colour = renderTable(rows, ansiStyle()).lines.map((l) => l.replace(/\x1b\[\d+m/g, ''));
    expect(colour).toEqual(plain);
  });
});

describe('the PROMPT column', () => {
  const chat = [
    row({ id: 'dddd0001', prompt: 'What is the capital of France?' }),
    row({ id: 'dddd0002', prompt: 'Write a haiku about tmux \x1b]0;PWNED\x07 please' }),
    row({ id: 'dddd0003', endpoint: '/model/anthropic.claude-3-5-sonnet-20240620-v1:0/converse-stream', provider: 'bedrock' }),
  ];

  it('shows the first words of the prompt, escaped, and `/` finds rows by it', () => {
    const { header, lines } = renderTable(chat, plainStyle);
    expect(header).toMatch(/TTFB +PROMPT$/);
    expect(lines[0]).toMatch(/300\.0 ms +What is the capital of France\?$/);
    expect(lines[1]).toContain('Write a haiku about tmux \\x1b]0;PWNED'); // shown, not obeyed
    expect(lines.join('')).not.toContain('\x1b');
    expect(lines[2]).toMatch(/300\.0 ms +—$/);
    expect(filterRows(chat, { text: 'haiku' }).map((r) => r.id)).toEqual(['dddd0002']);
  });

  it('keeps the endpoint whole at 120 columns and every number whole at 80', () => {
    const wide = renderTable(chat.slice(0, 2), plainStyle, undefined, 118);
    for (const l of [wide.header, ...wide.lines]) expect(l.length).toBeLessThanOrEqual(118);
    expect(wide.lines[0]).toContain(' /v1/chat/completions ');
    expect(wide.lines[0]).toMatch(/1\.23 s +300\.0 ms +What is/);
    const narrow = renderTable(chat, plainStyle, undefined, 78);
    for (const l of [narrow.header, ...narrow.lines]) expect(l.length).toBeLessThanOrEqual(78);
    for (const l of narrow.lines) expect(l).toMatch(/^dddd000\d .* 200 +12 +1\.23 s +\S/);
    expect(narrow.lines[0]).toMatch(/What is/);
  });
});

describe('filterRows', () => {
  it('filters by type, model, text and limit', () => {
    expect(filterRows(rows, { stream: false }).map((r) => r.id)).toEqual(['bbbb0000two']);
    expect(filterRows(rows, { text: 'ANTHROPIC' }).map((r) => r.id)).toEqual(['aaaa0000one']);
    expect(filterRows(rows, { text: '429' }).map((r) => r.id)).toEqual(['bbbb0000two']);
    expect(filterRows(rows, { model: 'gpt-4o-mini', limit: 1 }).map((r) => r.id)).toEqual(['bbbb0000two']);
  });
});

describe('shouldColor', () => {
  it('colours terminals only, NO_COLOR wins, FORCE_COLOR opts in, CI does not', () => {
    expect(shouldColor({ isTTY: true }, {})).toBe(true);
    expect(shouldColor({ isTTY: false }, {})).toBe(false);
    expect(shouldColor({ isTTY: false }, { CI: 'true' })).toBe(false);
    expect(shouldColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(shouldColor({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(shouldColor({ isTTY: false }, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
    expect(shouldColor({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });
});
