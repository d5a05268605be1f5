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
    expect(lines[0]).toMatch(/^aaaa0000 .*claude-sonnet-4-5-20250929-… +Stream +200 +12 +1\.23 s +300\.0 ms$/);
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
