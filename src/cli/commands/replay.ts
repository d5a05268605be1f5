import { colorsFor } from '../color.js';
import { indexCassette } from '../../store/cassette-index.js';
import { formatFault, parseFault } from '../../replay/faults.js';
import { busyMachineNote } from '../../replay/lateness.js';
import { startReplayServer } from '../../replay/replay-server.js';
import type { CommandContext } from '../command.js';
import type { ReplayOptions } from '../command-table.js';
import { untilInterrupt } from '../io.js';
import { visible } from '../../util/visible.js';

/** `traceforge replay CASSETTE`: serve it until Ctrl-C, then say how many requests it served and missed. */
export async function run({ args, opts, io }: CommandContext<ReplayOptions>): Promise<number> {
  const path = args[0]!;
  const pc = colorsFor(io.stdout, io.env);
  const err = colorsFor(io.stderr, io.env);
  // Parse before loading the cassette, so a typo is a usage error whatever the file holds.
  const faults = opts.fault.map(parseFault);
  // Indexed, not loaded: each interaction is read from the file when it is served, so a cassette of
  // any size is served in bounded memory.
  const cassette = await indexCassette(path);
  for (const w of cassette.warnings) io.stderr.write(`${err.yellow('warning:')} ${visible(w, '')}\n`);
  const server = await startReplayServer({
    cassette,
    speed: opts.speed,
    faults,
    port: opts.port,
    host: opts.host,
    headersTimeoutMs: opts['headers-timeout'],
    // The message quotes the received request: its control characters are shown as escapes, not sent to the terminal.
    onMiss: (miss) => io.stderr.write(`${err.yellow('miss')} ${visible(miss.message, '')}\n`),
    // Only synthesised answers are logged: the user should know those bytes are not the provider's.
    onServe: (s) => {
      if (s.synthesized) io.stderr.write(`${err.yellow('served')} #${s.index} (id ${visible(s.id, '')}, ${visible(`${s.method} ${s.url}`, '')}): SSE framing synthesised from a schema 1.0.0 trace, not recorded bytes\n`);
    },
  });
  const synthesized = cassette.interactions.filter((i) => i.synthesized).length;
  io.stdout.write(
    `${pc.bold('TraceForge replaying')} ${path} (${cassette.interactions.length} interaction(s), speed ${opts.speed === 0 ? 'instant' : `${opts.speed}x`}) on ${server.url}\n` +
      (faults.length > 0 ? `  faults: ${faults.map(formatFault).join(', ')}\n` : '') +
      (synthesized > 0 ? `  ${synthesized} interaction(s) from schema 1.0.0 traces (the first TraceForge): their framing is synthesised from parsed chunks\n` : '') +
      `  OPENAI_BASE_URL=${server.url}/v1  ANTHROPIC_BASE_URL=${server.url}\n` +
      `  stop with Ctrl-C\n`,
  );
  // A replay that ran late because the machine was busy says so once, while it runs and not only at the end.
  let busySaid = false;
  const sayIfBusy = () => {
    const note = busySaid ? undefined : busyMachineNote(server.lateness());
    if (note) {
      busySaid = true;
      io.stderr.write(`${err.yellow('timing:')} ${note}\n`);
    }
  };
  const watch = setInterval(sayIfBusy, 5000);
  watch.unref();
  try {
    await untilInterrupt(io);
  } finally {
    clearInterval(watch);
  }
  await server.close();
  sayIfBusy();
  io.stdout.write(`stopped: served ${server.served.length}, missed ${server.misses.length}\n`);
  return 0;
}
