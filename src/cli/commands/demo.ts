import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { colorsFor } from '../color.js';
import { startSimulatedUpstream } from '../../demo/simulated-upstream.js';
import { percentile, timedPost } from '../../demo/timed-client.js';
import { planPlayback } from '../../replay/plan.js';
import { startRecorder } from '../../record/recorder.js';
import { startReplayServer } from '../../replay/replay-server.js';
import { appendToCassette, loadCassette } from '../../store/cassette-file.js';
import { createTraceStore, DEFAULT_TRACES_DIR } from '../../store/trace-store.js';
import type { Trace } from '../../trace/types.js';
import type { CommandContext } from '../command.js';
import type { DemoOptions } from '../command-table.js';
import { describeCall, ms, rel } from '../format.js';

/** The whole loop on a built-in upstream: record two calls, list and view them, replay and measure. */
export async function run({ opts, debug, io }: CommandContext<DemoOptions>): Promise<number> {
  const { speed } = opts;
  const pc = colorsFor(io.stdout, io.env);
  const step = (n: number, text: string) => io.stdout.write(`\n${pc.bold(pc.cyan(`${n}.`))} ${pc.bold(text)}\n`);
  const store = createTraceStore(DEFAULT_TRACES_DIR);
  const work = await mkdtemp(join(tmpdir(), 'traceforge-demo-'));
  const cassette = join('.ai-tests', 'demo.yaml');
  await rm(cassette, { force: true });
  const upstream = await startSimulatedUpstream();
  const traces: Trace[] = [];
  try {
    step(1, `Recording through the proxy (simulated OpenAI-compatible upstream at ${upstream.url})`);
    const recorder = await startRecorder({
      upstream: upstream.url,
      debug,
      onTrace: async (t) => {
        const path = await store.save(t);
        await appendToCassette(cassette, [t]);
        traces.push(t);
        io.stdout.write(`   ${pc.green('●')} ${describeCall(t)}\n     ${pc.dim(`trace ${rel(path)}`)}\n`);
      },
    });
    const streamRequest = { model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'What does TraceForge do?' }] };
    const live = await timedPost(`${recorder.url}/v1/chat/completions`, streamRequest);
    await timedPost(`${recorder.url}/v1/chat/completions`, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }] });
    await recorder.close();
    await upstream.close();
    io.stdout.write(`   ${pc.dim(`cassette ${cassette} (${(await loadCassette(cassette)).interactions.length} interactions)`)}\n`);
    const streamed = traces.find((t) => t.metadata.stream);
    if (!streamed) throw new Error('the demo recorded no streaming call');

    step(2, 'traceforge trace list');
    const list = await import('./trace-list.js');
    await list.run({ args: [], opts: { json: false, stream: false, normal: false, model: undefined, limit: 5, traces: DEFAULT_TRACES_DIR }, rest: [], debug, io });

    step(3, `traceforge trace view ${streamed.id} --text`);
    const view = await import('./trace-view.js');
    await view.run({ args: [streamed.id], opts: { text: true, json: false, traces: DEFAULT_TRACES_DIR }, rest: [], debug, io });

    step(4, `Replaying ${cassette} with the upstream gone (speed ${speed === 0 ? 'instant' : `${speed}x`})`);
    const replay = await startReplayServer({ cassette, speed });
    const again = await timedPost(`${replay.url}/v1/chat/completions`, streamRequest);
    await replay.close();
    const identical = Buffer.compare(again.body, live.body) === 0;
    // Split the error in two: the first chunk also carries request transit and cold start; the
    // rest, measured from the first chunk, is the scheduler's own accuracy.
    const planned = planPlayback(streamed).pieces.map((p) => (speed === 0 ? 0 : p.at / speed));
    const got = again.frameTimes;
    const ttfbError = (got[0] ?? 0) - (planned[0] ?? 0);
    const errors = got.map((t, i) => Math.abs(t - got[0]! - ((planned[i] ?? 0) - planned[0]!))).sort((a, b) => a - b);
    const drift = (got.at(-1) ?? 0) - got[0]! - ((planned.at(-1) ?? 0) - planned[0]!);
    io.stdout.write(
      `   body: ${identical ? pc.green('byte-identical') : pc.red('DIFFERENT')} (${again.body.length} bytes), frames: ${got.length} replayed / ${streamed.total_chunks} recorded\n` +
        (speed === 0
          ? '   timing: instant replay (speed 0)\n'
          : `   first chunk: ${ms(got[0])} (recorded ${ms(planned[0])}, ${ttfbError >= 0 ? '+' : ''}${ttfbError.toFixed(2)} ms incl. request transit)\n` +
            `   per-chunk timing error after it: p50 ${ms(percentile(errors, 50))}, p99 ${ms(percentile(errors, 99))}, max ${ms(errors.at(-1))}; drift ${drift.toFixed(2)} ms\n`),
    );

    step(5, 'Next');
    io.stdout.write(
      `   npx traceforge trace view ${streamed.id}     ${pc.dim('# open the terminal UI, press r to watch it replay')}\n` +
        `   npx traceforge replay ${cassette}      ${pc.dim('# serve the cassette on http://127.0.0.1:8788')}\n`,
    );
    return identical && again.frameTimes.length === streamed.total_chunks ? 0 : 1;
  } finally {
    await upstream.close().catch(() => {});
    await rm(work, { recursive: true, force: true });
  }
}
