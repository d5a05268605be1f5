import blessed from 'blessed';
import type { Trace } from '../trace/types.js';
import { MessageBuilder } from './chunk-text.js';
import { fmtMs, progressBar } from './format.js';
import type { TraceWindow } from '../store/trace-store.js';
import { faultMarks, markFaultRows } from './fault-marks.js';
import { isWindowed, metricsLines, requestLines, responseLines, summaryLines, timelineHeader, timelineRows, windowShown, type ViewModel } from './panels.js';
import { realClock, ReplayController, type Clock, type ReplayState } from './replay-clock.js';
import { bar1, keyBar, listPanel, markFocus, panel, scrollKey, themeOf, type Box, type Focusable, type KeyHelp, type Screen } from './widgets.js';

/**
 * Writes test files for a trace and returns their paths (test generation, issue 4). `window` is set for a trace
 * too big to load whole. Without `force` a file that exists is an error whose `detail.exists` names it.
 */
export type GenerateHook = (trace: Trace, window?: TraceWindow | null, opts?: { force?: boolean }) => Promise<string[]>;

export interface TraceViewOptions {
  clock?: Clock;
  onGenerate?: GenerateHook;
  /** What q/Esc means here, for the footer: `quit` when opened directly, `back` from the browser. */
  leaveLabel?: string;
}

export interface TraceViewHandle {
  /** Resolves when the user leaves: `back` for q/Esc, `quit` for Ctrl-C. */
  closed: Promise<'back' | 'quit'>;
  replay: ReplayController | null;
}

// 38 inner columns hold `POST /v1/chat/completions` and a whole timestamp beside the summary labels.
const LEFT_MIN = 40;
const keys = (leave: string, stream: boolean): KeyHelp[] => [
  ...(stream ? ([['r', 'replay'], ['space', 'pause'], ['+/-', 'speed'], ['f', 'fault points', 'faults']] as const) : []),
  ['tab', 'panel'],
  ['↑↓ PgUp PgDn', 'scroll', 'scroll', '↑↓'],
  ['g', 'gen test'],
  ['q', leave],
];

/**
 * Open the full-screen view of one trace on `screen`: summary, streaming metadata, chunk timeline,
 * complete response and request, with replay (`r`), pause (`space`), speed (`+`/`-`), panel focus (`tab`),
 * scrolling, test generation (`g`) and leave (`q`/`Esc`). A non-streamed trace gets the same view without
 * the stream panels. The caller owns the screen and destroys it.
 */
export function openTraceView(screen: Screen, vm: ViewModel, opts: TraceViewOptions = {}): TraceViewHandle {
  const root = blessed.box({ parent: screen, top: 0, left: 0, width: '100%', height: '100%' });
  const st = themeOf(screen).st;
  const t = vm.trace;
  // A window of a big trace cannot be replayed: most of its chunks are not in memory.
  const windowed = isWindowed(vm);
  const shown = vm.window && windowed ? windowShown(vm.window) : '';
  const header = bar1(root, { top: 0 }, 'title');
  header.setContent(
    ` {bold}TraceForge{/bold}  trace ${st.esc(t.id)}  ${st.esc(`${t.http.method} ${t.endpoint}`)}  ${st.esc(t.metadata.model ?? '')}  ${vm.stream ? 'Stream' : 'Normal'}${t.http.synthesized ? `  ${st.yellow('synthesised framing')}` : ''}${windowed ? `  ${st.yellow(`${shown} loaded`)}` : ''}`,
  );
  const footer = bar1(root, { bottom: 0 }, 'keys');
  // `f`: where `traceforge sweep` would break this stream, marked on the timeline.
  let showFaults = false;
  const marks = vm.stream && !windowed ? faultMarks(t) : new Map<number, string>();
  const helpKeys = keys(opts.leaveLabel ?? 'quit', vm.stream && !windowed);
  let help = '';
  // False while the footer carries a message (g's result, a fault mark) instead of the keys.
  let helpShown = true;
  const showHelp = () => {
    helpShown = true;
    footer.setContent(help);
  };

  const summary = panel(root, 'Summary');
  const request = panel(root, 'Request');
  request.setContent(requestLines(vm, st).join('\n'));
  const response = panel(root, 'Complete response');
  const showResponse = () => {
    response.setLabel(' Complete response ');
    response.setContent(responseLines(vm, st).join('\n'));
  };
  showResponse();
  let metrics: Box | undefined;
  let timeline: ReturnType<typeof listPanel> | undefined;
  let replayBox: Box | undefined;
  if (vm.stream) {
    metrics = panel(root, 'Streaming metadata');
    timeline = listPanel(root, 'Chunk timeline');
    const frame = timeline.frame;
    timeline.list.onChange = (i, n) => {
      frame.setLabel(windowed ? ` Chunk timeline  ${shown} ` : ` Chunk timeline  ${n === 0 ? 0 : i + 1}/${n} `);
      if (!showFaults) return;
      if (marks.has(i)) say(`${st.yellow('✂')} a fault before chunk ${i + 1}: ${st.esc(marks.get(i)!)}`, false);
      else showHelp();
    };
    replayBox = panel(root, 'Replay', { scrollable: false });
    const w = vm.window!;
    replayBox.setContent(
      windowed
        ? ` ${st.yellow(`no replay: showing ${shown}; the file is ${(w.fileBytes / 1048576).toFixed(1)} MB, over the ${(w.limitBytes / 1048576).toFixed(1)} MB read whole`)}`
        : '',
    );
  }
  const focusables: Focusable[] = [
    ...(timeline ? [{ frame: timeline.frame, target: timeline.list }] : []),
    { frame: response, target: response },
    { frame: request, target: request },
  ];
  let focused = 0;
  // Until the first `r` the replay panel says how to start one.
  let replayShown = false;

  const layout = () => {
    const rows = screen.height as number;
    const cols = screen.width as number;
    help = keyBar(helpKeys, cols);
    if (helpShown) footer.setContent(help);
    const avail = rows - 2;
    const left = Math.max(LEFT_MIN, Math.min(58, Math.floor(cols * 0.42)));
    const right = cols - left;
    // 8 summary rows, 10 for a trace whose framing was synthesised (its origin rows).
    // Inside the border, less the scrollbar's column.
    const inner = left - 3;
    const summaryText = summaryLines(vm, st, inner);
    summary.setContent(summaryText.join('\n'));
    const summaryHeight = summaryText.length + 2;
    Object.assign(summary, { top: 1, left: 0, width: left, height: Math.min(summaryHeight, avail) });
    let leftUsed = summaryHeight;
    if (metrics) {
      const lines = metricsLines(vm, st, inner - 22, inner);
      Object.assign(metrics, { top: 1 + summaryHeight, left: 0, width: left, height: lines.length + 2 });
      metrics.setContent(lines.join('\n'));
      leftUsed = summaryHeight + 2 + lines.length;
    }
    // The request sits under the summary when there is room, otherwise it shares the right column.
    const requestLeft = avail - leftUsed >= 6;
    if (requestLeft) Object.assign(request, { top: 1 + leftUsed, left: 0, width: left, height: avail - leftUsed });
    let top = 1;
    let rest = avail;
    if (timeline && replayBox) {
      const th = Math.max(5, Math.floor(avail * 0.45));
      Object.assign(timeline.frame, { top, left, width: right, height: th });
      timeline.header.setContent(timelineHeader(st, right - 2));
      const rows = timelineRows(vm, st, right - 2);
      timeline.list.setRows(showFaults ? markFaultRows(rows, marks, st) : rows);
      Object.assign(replayBox, { top: 1 + avail - 3, left, width: right, height: 3 });
      if (!windowed && !replayShown) replayBox.setContent(right - 2 >= 51 ? ' press {bold}r{/bold} to replay the stream at its recorded pace' : ' press {bold}r{/bold} to replay at recorded pace');
      top += th;
      rest -= th + 3;
    }
    if (requestLeft) Object.assign(response, { top, left, width: right, height: rest });
    else {
      const half = Math.max(3, Math.floor(rest / 2));
      Object.assign(response, { top, left, width: right, height: half });
      Object.assign(request, { top: top + half, left, width: right, height: rest - half });
    }
  };
  layout();
  markFocus(focusables, focusables[focused]!);

  const replay = vm.stream && !windowed ? new ReplayController(vm.offsets, opts.clock ?? realClock, (s) => onReplayTick(s)) : null;
  let builder = new MessageBuilder();
  let pushed = 0;
  const chunks = t.chunks ?? [];
  const onReplayTick = (s: Readonly<ReplayState>) => {
    replayShown = true;
    for (; pushed < s.shown; pushed++) builder.push(chunks[pushed]!);
    const pct = s.total === 0 ? 100 : Math.round((s.shown / s.total) * 100);
    const [icon, iconText] = s.done
      ? [st.green('■ done'), '■ done']
      : s.paused
        ? [st.yellow('❚❚ paused'), '❚❚ paused']
        : [st.cyan('▶ playing'), '▶ playing'];
    const inner = (replayBox!.width as number) - 2;
    const pctText = `${String(pct).padStart(3)}%`;
    const time = `t ${fmtMs(s.at)} / ${fmtMs(s.end)}`;
    // The widest form that fits: the bar goes first, then the time; the counts and the state always stay.
    const forms = [
      { bar: true, tail: `${pctText}  chunk ${s.shown}/${s.total}  ${time}` },
      { bar: true, tail: `${pctText}  chunk ${s.shown}/${s.total}` },
      { bar: false, tail: `${pctText}  ${s.shown}/${s.total}  ${time}` },
      { bar: false, tail: `${pctText}  ${s.shown}/${s.total}` },
    ];
    const words = (f: (typeof forms)[number]) => 1 + iconText.length + 2 + `${s.speed}x`.length + 2 + f.tail.length;
    const form = forms.find((f) => words(f) + (f.bar ? 6 : 0) <= inner) ?? forms.at(-1)!;
    // The bar takes whatever the panel has left after the words.
    const bar = form.bar ? `${progressBar(s.shown / Math.max(1, s.total), inner - words(form) - 2)} ` : '';
    replayBox!.setContent(` ${icon}  ${s.speed}x  ${bar}${form.tail}`);
    if (s.done) showResponse();
    else {
      response.setLabel(' Complete response (replaying) ');
      const tools = builder.toolCalls().map((c) => st.yellow(st.esc(`⚙ ${c.name}(${c.args})`)));
      const think = builder.reasoning ? [st.dim(st.esc(builder.reasoning)), ''] : [];
      response.setContent([...think, `${st.esc(builder.text)}{inverse} {/inverse}`, ...(tools.length ? ['', ...tools] : [])].join('\n'));
      response.setScrollPerc(100);
    }
    if (timeline && s.shown > 0) timeline.list.select(s.shown - 1);
    screen.render();
  };

  function say(msg: string, render = true) {
    helpShown = false;
    footer.setContent(` ${msg}`);
    if (render) screen.render();
  }
  // Set while the footer asks whether to overwrite what `g` would write; the next key answers.
  let confirming = false;
  const generate = async (force = false) => {
    if (!opts.onGenerate) return say(st.yellow('test generation is not available yet'));
    say(force ? 'overwriting the test generated from this trace…' : 'generating a test from this trace…');
    try {
      const paths = await opts.onGenerate(t, vm.window, { force });
      say(`${st.green(force ? 'overwrote' : 'wrote')} ${st.esc(paths.join(', ') || '(nothing)')}`);
    } catch (e) {
      const exists = (e as { detail?: { exists?: unknown } }).detail?.exists;
      if (!force && typeof exists === 'string') {
        confirming = true;
        // Any key but y keeps the file.
        return say(`${st.yellow(`${st.esc(exists)} already exists: overwrite it?`)} {bold}y{/bold}/{bold}n{/bold}`);
      }
      say(st.red(st.esc(e instanceof Error ? e.message : String(e))));
    }
  };
  const answer = (yes: boolean) => {
    confirming = false;
    if (yes) return void generate(true);
    say('kept the existing test; nothing was written');
  };

  let resolveClosed!: (how: 'back' | 'quit') => void;
  const closed = new Promise<'back' | 'quit'>((r) => (resolveClosed = r));
  const onKey = (ch: string | undefined, key: { name?: string; full?: string; ctrl?: boolean }) => {
    if (key.full === 'C-c') return leave('quit');
    if (confirming) return answer(ch === 'y' || ch === 'Y');
    if (key.name === 'q' || key.name === 'escape') return leave('back');
    if (key.name === 'tab' || key.full === 'S-tab') {
      focused = (focused + (key.full === 'S-tab' ? focusables.length - 1 : 1)) % focusables.length;
      markFocus(focusables, focusables[focused]!);
      return screen.render();
    }
    if (replay && key.name === 'r') return replayStart();
    if (replay && key.name === 'space') return replay.togglePause();
    if (replay && (ch === '+' || ch === '=')) return replay.changeSpeed(1);
    if (replay && (ch === '-' || ch === '_')) return replay.changeSpeed(-1);
    if (key.name === 'g') return void generate();
    if (timeline && !windowed && key.name === 'f') {
      showFaults = !showFaults;
      layout();
      if (showFaults) say(`${st.yellow('✂')} ${marks.size} fault points marked (the ✂ row is the first chunk a fault there holds back); {bold}f{/bold} hides them`);
      else showHelp();
      return screen.render();
    }
    if (scrollKey(focusables[focused]!.target, key.name)) screen.render();
  };
  const replayStart = () => {
    builder = new MessageBuilder();
    pushed = 0;
    showHelp();
    replay!.start();
  };
  const onResize = () => {
    layout();
    screen.render();
  };
  const leave = (how: 'back' | 'quit') => {
    replay?.stop();
    screen.removeListener('keypress', onKey);
    screen.removeListener('resize', onResize);
    root.destroy();
    resolveClosed(how);
  };
  screen.on('keypress', onKey);
  screen.on('resize', onResize);
  screen.render();
  return { closed, replay };
}
