import blessed from 'blessed';
import type { TraceDiff } from '../trace/diff.js';
import type { Trace } from '../trace/types.js';
import { DIFF_SECTIONS, renderDiff } from './diff-render.js';
import { bar1, keyBar, panel, scrollKey, themeOf, type Screen } from './widgets.js';

/**
 * Full-screen side-by-side diff of two traces: one scrollable panel with the request, response and timing
 * sections; `tab` jumps to the next section, arrows and PgUp/PgDn scroll, `q`/`Esc` leave.
 */
export function openDiffView(screen: Screen, d: TraceDiff, a: Trace, b: Trace, notes: string[] = []): { closed: Promise<'back' | 'quit'> } {
  const root = blessed.box({ parent: screen, top: 0, left: 0, width: '100%', height: '100%' });
  const theme = themeOf(screen);
  const st = theme.st;
  const header = bar1(root, { top: 0 }, 'title');
  header.setContent(` {bold}TraceForge{/bold}  diff  A ${st.esc(a.id)}  ↔  B ${st.esc(b.id)}${d.sameContent ? '  (same content)' : ''}`);
  const footer = bar1(root, { bottom: 0 }, 'keys');
  const body = panel(root, 'A  │  B', { top: 1, left: 0, width: '100%', height: '100%-2' });
  (body.style as { border: object }).border = theme.border(true);
  let headings: number[] = [];
  const fill = () => {
    const lines = renderDiff(d, a, b, st, { width: (screen.width as number) - 3, markers: false, notes });
    headings = DIFF_SECTIONS.map((s) => lines.findIndex((l) => l.includes(`── ${s} `)));
    body.setContent(lines.join('\n'));
    footer.setContent(keyBar([['tab', 'next section'], ['↑↓ PgUp PgDn', 'scroll', 'scroll', '↑↓'], ['q', 'quit']], screen.width as number));
  };
  fill();
  body.focus();

  let resolveClosed!: (how: 'back' | 'quit') => void;
  const closed = new Promise<'back' | 'quit'>((r) => (resolveClosed = r));
  const onKey = (_ch: string | undefined, key: { name?: string; full?: string }) => {
    if (key.full === 'C-c') return leave('quit');
    if (key.name === 'q' || key.name === 'escape') return leave('back');
    if (key.name === 'tab') {
      const at = body.getScroll();
      const next = headings.find((h) => h > at) ?? headings[0] ?? 0;
      body.scrollTo(next);
      // scrollTo only guarantees visibility; put the heading at the top of the panel.
      body.setScroll(next);
      return screen.render();
    }
    if (scrollKey(body, key.name)) screen.render();
  };
  const onResize = () => {
    fill();
    screen.render();
  };
  const leave = (how: 'back' | 'quit') => {
    screen.removeListener('keypress', onKey);
    screen.removeListener('resize', onResize);
    root.destroy();
    resolveClosed(how);
  };
  screen.on('keypress', onKey);
  screen.on('resize', onResize);
  screen.render();
  return { closed };
}
