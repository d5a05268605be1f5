import { out as pc } from '../color.js';
import { TraceForgeError } from '../../errors.js';
import { generateFromTrace, type Timing } from '../../gen/index.js';
import { createTraceStore } from '../../store/trace-store.js';
import type { CommandContext } from '../main.js';
import { optionalString } from '../options.js';

const TIMINGS: readonly Timing[] = ['instant', 'recorded'];

/** `traceforge gen ID|PREFIX`: write a cassette and a vitest file for one trace, then say how to run it. */
export async function run({ args, opts }: CommandContext): Promise<number> {
  const id = args[0];
  if (!id) throw new TraceForgeError('E_USAGE', 'gen needs a trace id: `traceforge gen <id>` (see `traceforge trace list`)');
  const timing = optionalString(opts.timing, '--timing') ?? 'instant';
  if (!(TIMINGS as readonly string[]).includes(timing)) {
    throw new TraceForgeError('E_USAGE', `--timing must be ${TIMINGS.join(' or ')}, got "${timing}"`);
  }
  const trace = await createTraceStore(optionalString(opts.traces, '--traces')).load(id);
  const result = await generateFromTrace(trace, {
    cwd: process.cwd(),
    out: optionalString(opts.out, '--out'),
    cassette: optionalString(opts.cassette, '--cassette'),
    template: optionalString(opts.template, '--template'),
    timing: timing as Timing,
    force: opts.force === true,
  });
  const [test, cassette] = result.written;
  const origin = result.template.origin === 'project' ? 'project template' : 'template';
  process.stdout.write(
    `${pc.green('wrote')} ${test}  ${pc.dim(`(${origin} ${result.template.name}, timing ${timing})`)}\n` +
      `${pc.green('wrote')} ${cassette}  ${pc.dim(`(cassette, 1 interaction)`)}\n` +
      `run it: ${pc.bold(result.command)}\n`,
  );
  return 0;
}
