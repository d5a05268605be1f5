import { cpus, loadavg } from 'node:os';
import { benchAdded } from './added.js';
import { benchAimock } from './aimock-compare.js';
import { benchBigStream } from './big-stream.js';
import { benchCassetteOpen } from './cassette-open.js';
import { benchCold } from './cold.js';
import { benchGenSweep } from './gen-sweep.js';
import { benchListTraces } from './list-traces.js';
import { benchLoad } from './load.js';
import { benchOptions, type BenchOptions } from './options.js';
import { benchRecordLag } from './record-lag.js';
import { benchReplayTiming } from './replay-timing.js';
import { benchSession } from './session.js';
import { benchStartup } from './startup.js';
import { benchVirtualClock } from './virtual-clock.js';
import { benchWsSession } from './ws-session.js';

// The benchmark runner: timing, load and memory figures, printed; never part of the unit suite.
// `node --expose-gc dist/bench/run.js [--quick] [section...]`
const sections: Array<[string, (o: BenchOptions) => Promise<string>]> = [
  ['replay', benchReplayTiming],
  ['cold', benchCold],
  ['load', benchLoad],
  ['big', benchBigStream],
  ['aimock', benchAimock],
  ['list', () => benchListTraces()],
  ['session', benchSession],
  ['added', benchAdded],
  ['virtual', benchVirtualClock],
  ['gen-sweep', benchGenSweep],
  ['record-lag', benchRecordLag],
  ['startup', benchStartup],
  ['ws', benchWsSession],
  ['cassette-open', benchCassetteOpen],
];
const args = process.argv.slice(2);
const o = benchOptions(args, process.env);
const only = args.filter((a) => !a.startsWith('--'));
const unknown = only.filter((a) => !sections.some(([name]) => name === a));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown section ${unknown.join(', ')}; sections are ${sections.map(([n]) => n).join(', ')}\n`);
  process.exit(2);
}
process.stdout.write(
  `TraceForge bench${o.quick ? ' (--quick)' : ''}: node ${process.version}, ${cpus().length} x ${cpus()[0]?.model.trim() ?? 'cpu'}, load average ${loadavg()[0]!.toFixed(2)}\n\n`,
);
for (const [name, run] of sections) {
  if (only.length > 0 && !only.includes(name)) continue;
  const t0 = performance.now();
  process.stdout.write(`${await run(o)}\n  (${((performance.now() - t0) / 1000).toFixed(0)} s)\n\n`);
}
