import pc from 'picocolors';
import { TraceForgeError } from '../../errors.js';
import { startRecorder } from '../../record/recorder.js';
import { appendToCassette } from '../../store/cassette-file.js';
import { createTraceStore } from '../../store/trace-store.js';
import type { CommandContext } from '../main.js';
import { parsePort, parseUrl, optionalString } from '../options.js';
import { describeCall, rel, untilSignal } from '../format.js';

export async function run({ opts }: CommandContext): Promise<number> {
  const upstream = parseUrl(opts.upstream, '--upstream');
  if (!upstream) {
    throw new TraceForgeError('E_USAGE', 'record needs --upstream URL, e.g. `traceforge record --upstream https://api.openai.com`');
  }
  const port = parsePort(opts.port, '--port', 8787);
  const host = optionalString(opts.host, '--host') ?? '127.0.0.1';
  const cassette = optionalString(opts.cassette, '--cassette');
  const store = createTraceStore(optionalString(opts.traces, '--traces'));
  const writes: string[] = [];
  const recorder = await startRecorder({
    upstream,
    port,
    host,
    onTrace: async (trace) => {
      const path = await store.save(trace);
      if (cassette) await appendToCassette(cassette, [trace]);
      process.stdout.write(`${trace.metadata.status === 'success' ? pc.green('●') : pc.red('●')} ${describeCall(trace)}  ${pc.dim(rel(path))}\n`);
      writes.push(path);
    },
    onError: (e) => process.stderr.write(`${pc.red('traceforge:')} could not save a trace: ${e.message}\n`),
  });
  process.stdout.write(
    `${pc.bold('TraceForge recording')} ${recorder.url} -> ${upstream.origin}\n` +
      `  traces:   ${rel(store.dir)}\n` +
      (cassette ? `  cassette: ${cassette}\n` : '') +
      `  point your app at it: OPENAI_BASE_URL=${recorder.url}/v1  ANTHROPIC_BASE_URL=${recorder.url}\n` +
      `  stop with Ctrl-C\n`,
  );
  await untilSignal();
  await recorder.close();
  process.stdout.write(`stopped: ${writes.length} call(s) recorded\n`);
  return 0;
}
