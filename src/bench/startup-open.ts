import { openCassette } from '../session.js';

// One cassette opened in a fresh process (`startup` section): how long openCassette takes in this mode,
// and the CPU the whole process used for it (every thread). The upstream is never called.
const [mode, path] = process.argv.slice(2) as ['none' | 'all', string];
const t0 = performance.now();
const session = await openCassette(path, { mode, upstream: 'http://127.0.0.1:9', traces: false, env: {} });
const openMs = performance.now() - t0;
await session.close();
const cpu = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ openMs, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
