import { benchListTraces } from './list-traces.js';
import { benchReplayTiming } from './replay-timing.js';

// The benchmark runner: timing and throughput figures, printed; never part of the unit suite.
const sections: Array<[string, () => Promise<string>]> = [
  ['replay', benchReplayTiming],
  ['list', benchListTraces],
];
const only = process.argv.slice(2);
for (const [name, run] of sections) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stdout.write(`${await run()}\n\n`);
}
