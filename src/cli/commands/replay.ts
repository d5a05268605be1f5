import { err, out as pc } from '../color.js';
import { indexCassette } from '../../store/cassette-index.js';
import { formatFault, parseFault } from '../../replay/faults.js';
import { startReplayServer } from '../../replay/replay-server.js';
import type { CommandContext } from '../main.js';
import { parseNumber, parsePort, optionalString } from '../options.js';
import { visible } from '../../util/visible.js';
import { untilSignal } from '../format.js';

export async function run({ args, opts }: CommandContext): Promise<number> {
  const path = args[0]!;
  const speed = parseNumber(opts.speed, '--speed', 1);
  const port = parsePort(opts.port, '--port', 8788);
  const host = optionalString(opts.host, '--host') ?? '127.0.0.1';
  const headersTimeoutMs = parseNumber(opts['headers-timeout'], '--headers-timeout', 10_000, 1);
  // Parse before loading the cassette, so a typo is a usage error whatever the file holds.
  const faults = (opts.fault === undefined ? [] : ([] as unknown[]).concat(opts.fault)).map((f) => parseFault(String(f)));
  // Indexed, not loaded: each interaction is read from the file when it is served, so a cassette of
  // any size is served in bounded memory.
  const cassette = await indexCassette(path);
  for (const w of cassette.warnings) process.stderr.write(`${err.yellow('warning:')} ${visible(w, '')}\n`);
  const server = await startReplayServer({
    cassette,
    speed,
    faults,
    port,
    host,
    headersTimeoutMs,
    // The message quotes the received request: its control characters are shown as escapes, not sent to the terminal.
    onMiss: (miss) => process.stderr.write(`${pc.yellow('miss')} ${visible(miss.message, '')}\n`),
    // Only synthesised answers are logged: the user should know those bytes are not the provider's.
    onServe: (s) => {
      if (s.synthesized) process.stderr.write(`${pc.yellow('served')} #${s.index} (id ${visible(s.id, '')}, ${visible(`${s.method} ${s.url}`, '')}): SSE framing synthesised from a schema 1.0.0 trace, not recorded bytes\n`);
    },
  });
  const synthesized = cassette.interactions.filter((i) => i.synthesized).length;
  process.stdout.write(
    `${pc.bold('TraceForge replaying')} ${path} (${cassette.interactions.length} interaction(s), speed ${speed === 0 ? 'instant' : `${speed}x`}) on ${server.url}\n` +
      (faults.length > 0 ? `  faults: ${faults.map(formatFault).join(', ')}\n` : '') +
      (synthesized > 0 ? `  ${synthesized} interaction(s) from schema 1.0.0 traces (the first TraceForge): their framing is synthesised from parsed chunks\n` : '') +
      `  OPENAI_BASE_URL=${server.url}/v1  ANTHROPIC_BASE_URL=${server.url}\n` +
      `  stop with Ctrl-C\n`,
  );
  await untilSignal();
  await server.close();
  process.stdout.write(`stopped: served ${server.served.length}, missed ${server.misses.length}\n`);
  return 0;
}
