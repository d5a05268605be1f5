import blessed from 'blessed';
import type { TraceRow } from '../store/trace-row.js';
import type { LoadedTrace } from '../store/trace-store.js';
import type { Trace } from '../trace/types.js';
import { filterRows, renderTable, type ListFilter } from './list-table.js';
import { buildViewModel } from './panels.js';
import { openTraceView, type TraceViewOptions } from './trace-view.js';
import { VirtualList } from './virtual-list.js';
import { bar1, keyBar, scrollKey, themeOf, type KeyHelp, type Screen } from './widgets.js';

export interface BrowserOptions extends TraceViewOptions {
  /** Where the rows came from, for the header. */
  dir: string;
  filter?: ListFilter;
  /** Load a row's trace (by its file name) when it is opened: whole, or a window from `store.loadForView()`. */
  load(row: TraceRow): Promise<Trace | LoadedTrace>;
}

const KEYS: KeyHelp[] = [
  ['↑↓ PgUp PgDn', 'select', 'select', '↑↓'],
  ['enter', 'open'],
  ['/', 'filter'],
  ['q', 'quit'],
];

/**
 * The trace list as a full-screen browser: `Enter` opens the selected trace in the view (whose `q` comes
 * back here), `/` filters by id, endpoint, model, provider or status, `q`/`Esc` quit.
 */
export function openBrowser(screen: Screen, all: readonly TraceRow[], opts: BrowserOptions): { closed: Promise<'quit'> } {
  const root = blessed.box({ parent: screen, top: 0, left: 0, width: '100%', height: '100%' });
  const theme = themeOf(screen);
  const st = theme.st;
  const header = bar1(root, { top: 0 }, 'title');
  const columns = blessed.box({ parent: root, top: 1, left: 0, width: '100%', height: 1, tags: true });
  const list = new VirtualList(root, theme, { top: 2, left: 0, width: '100%', height: '100%-3' });
  const footer = bar1(root, { bottom: 0 }, 'keys');
  let query = '';
  let shown: TraceRow[] = [];
  const allIds = all.map((r) => r.id);

  const fill = () => {
    shown = filterRows(all, { ...opts.filter, text: query });
    const { header: cols, lines } = renderTable(shown, st, allIds, (screen.width as number) - 2);
    columns.setContent(` ${cols}`);
    footer.setContent(keyBar(KEYS, screen.width as number));
    list.setRows(lines.map((l) => ` ${l}`));
    const count = shown.length === all.length ? `${all.length} traces` : `${shown.length} of ${all.length} traces`;
    header.setContent(` {bold}TraceForge{/bold}  ${st.esc(opts.dir)}  ${count}${query ? `  filter: ${st.esc(query)}` : ''}`);
    if (all.length === 0) list.setRows([' No traces yet. Record some with `traceforge record --upstream URL`, or run `traceforge demo`.']);
    list.select(0);
    screen.render();
  };
  fill();
  list.focus();

  let mode: 'list' | 'filter' | 'view' = 'list';
  const prompt = blessed.textbox({ parent: root, bottom: 0, left: 0, width: '100%', height: 1, hidden: true, style: theme.bar('keys') });
  const startFilter = () => {
    mode = 'filter';
    footer.hide();
    prompt.show();
    prompt.setValue(query);
    screen.render();
    prompt.readInput((_err, value) => {
      // readInput's callback gets null on Esc: keep the previous filter then.
      if (typeof value === 'string') query = value;
      prompt.hide();
      footer.show();
      mode = 'list';
      fill();
      list.focus();
    });
  };

  const open = async () => {
    const row = shown[list.selected];
    if (!row) return;
    mode = 'view';
    try {
      const got = await opts.load(row);
      const vm = 'window' in got ? buildViewModel(got.trace, got.window) : buildViewModel(got);
      root.hide();
      const view = openTraceView(screen, vm, { ...opts, leaveLabel: 'back' });
      const how = await view.closed;
      if (how === 'quit') return leave();
      root.show();
      list.focus();
        } catch (e) {
      footer.setContent(` ${st.red(st.esc(e instanceof Error ? e.message : String(e)))}`);
    }
    mode = 'list';
    screen.render();
  };

  let resolveClosed!: (how: 'quit') => void;
  const closed = new Promise<'quit'>((r) => (resolveClosed = r));
  const onKey = (ch: string | undefined, key: { name?: string; full?: string }) => {
    if (mode !== 'list') return;
    if (key.full === 'C-c' || key.name === 'q' || key.name === 'escape') return leave();
    // blessed reports \r as both 'enter' and 'return'; act on one of them only.
    if (key.name === 'enter') return void open();
    if (ch === '/') return startFilter();
    if (scrollKey(list, key.name)) screen.render();
  };
  const leave = () => {
    screen.removeListener('keypress', onKey);
    root.destroy();
    resolveClosed('quit');
  };
  screen.on('keypress', onKey);
  screen.render();
  return { closed };
}
