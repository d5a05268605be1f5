import { colorsFor } from '../color.js';
import { TraceForgeError } from '../../errors.js';
import { generateFromTrace, type GenClock, type Timing } from '../../gen/index.js';
import { createTraceStore, type TraceWindow } from '../../store/trace-store.js';
import type { Trace } from '../../trace/types.js';
import type { CommandContext } from '../command.js';
import type { GenOptions } from '../command-table.js';

const TIMINGS: readonly Timing[] = ['instant', 'recorded'];
const isTiming = (s: string): s is Timing => (TIMINGS as readonly string[]).includes(s);
const CLOCKS: readonly GenClock[] = ['virtual', 'wall'];
const isClock = (s: string): s is GenClock => (CLOCKS as readonly string[]).includes(s);

const bodyBytes = (t: Trace) =>
  [...(t.chunks ?? []), ...(t.http.body ?? [])].reduce((n, p) => n + Buffer.byteLength(p.raw, p.raw_encoding === 'base64' ? 'base64' : 'utf8'), 0);

/**
 * A cassette is YAML held in memory whole, and a test needs the reconstructed response: refuse a trace
 * loaded as a window (its file is over the whole-load limit) or one whose body the recorder spilled to disk.
 */
export function refuseTooBigForCassette(trace: Trace, window: TraceWindow | null): void {
  const note = (trace.response as { traceforge_note?: unknown } | null)?.traceforge_note;
  if (!window && typeof note !== 'string') return;
  const bytes = window ? window.bodyBytes : bodyBytes(trace);
  const pieces = window ? window.totalPieces : (trace.chunks ?? trace.http.body ?? []).length;
  const why = window
    ? `its ${window.fileBytes}-byte trace file is over the ${window.limitBytes} bytes loaded whole (TRACEFORGE_WINDOW_BYTES)`
    : 'the recorder kept it on disk, over its in-memory limit (TRACEFORGE_SPILL_BYTES)';
  throw new TraceForgeError(
    'E_GEN',
    `trace ${trace.id} has a ${bytes}-byte body in ${pieces} ${trace.metadata.stream ? 'chunks' : 'reads'}, over the cassette limit: ${why}; nothing was written. A YAML cassette is held in memory whole: make the test from a shorter call (e.g. a lower max_tokens) and browse this one with \`traceforge trace view ${trace.id}\``,
  );
}

/** `traceforge gen ID|PREFIX`: write a cassette and a vitest file for one trace, then say how to run it. */
export async function run({ args, opts, io }: CommandContext<GenOptions>): Promise<number> {
  const id = args[0]!;
  const timing = opts.timing;
  if (!isTiming(timing)) throw new TraceForgeError('E_USAGE', `--timing must be ${TIMINGS.join(' or ')}, got "${timing}"`);
  const clock = opts.clock ?? 'virtual';
  if (!isClock(clock)) throw new TraceForgeError('E_USAGE', `--clock must be ${CLOCKS.join(' or ')}, got "${clock}"`);
  if (opts.clock !== undefined && timing !== 'recorded') {
    throw new TraceForgeError('E_USAGE', `--clock ${clock} is the clock a timing test replays on: add --timing recorded (an --timing instant test replays at once and checks no timing)`);
  }
  // A window of no chunks: enough to refuse a big trace without holding any of it.
  const { trace, window } = await createTraceStore(opts.traces).loadForView(id, { head: 0, tail: 0 });
  refuseTooBigForCassette(trace, window);
  const result = await generateFromTrace(trace, { cwd: process.cwd(), out: opts.out, cassette: opts.cassette, template: opts.template, timing, clock, force: opts.force });
  const pc = colorsFor(io.stdout, io.env);
  const [test, cassette] = result.written;
  const origin = result.template.origin === 'project' ? 'project template' : 'template';
  io.stdout.write(
    `${pc.green('wrote')} ${test}  ${pc.dim(`(${origin} ${result.template.name}, timing ${timing}${timing === 'recorded' ? ` on the ${clock} clock` : ''})`)}\n` +
      `${pc.green('wrote')} ${cassette}  ${pc.dim(`(cassette, 1 interaction)`)}\n` +
      `run it: ${pc.bold(result.command)}\n` +
      (trace.http.synthesized ? `${pc.yellow('note:')} ${pc.dim(`trace ${trace.id} is from the first TraceForge (schema ${trace.legacy?.schema_version ?? '1.0.0'}): the cassette replays SSE framing synthesised from its chunks (http.synthesized: true)`)}\n` : ''),
  );
  return 0;
}
