import { fork, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startRecorder } from '../record/recorder.js';
import { listTraces } from '../store/trace-index.js';
import { createTraceStore } from '../store/trace-store.js';
import { storedToBytes } from '../stream/bytes.js';
import { jitteredStream } from './stream.js';
import { mb, table } from './stats.js';
import { timedPost } from './client.js';
import type { BenchOptions } from './options.js';
import { startBenchUpstream } from './upstream.js';

/** Hash the `raw` of every chunk of a trace file line by line, so a file of any size is checked in bounded memory. */
async function hashChunks(path: string): Promise<{ sha256: string; chunks: number }> {
  const hash = createHash('sha256');
  let chunks = 0;
  let inChunks = false;
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    if (line.startsWith('  "chunks": [')) inChunks = true;
    else if (inChunks && line.startsWith('  ]')) inChunks = false;
    else if (inChunks && line.startsWith('      "raw": ')) {
      hash.update(storedToBytes(JSON.parse(line.slice(13).replace(/,$/, '')) as string));
      chunks++;
    }
  }
  return { sha256: hash.digest('hex'), chunks };
}

/**
 * `traceforge trace view ID --text` as a user runs it (the built bin, its own process, output read and
 * dropped), with its peak RSS written at exit by a tiny preloaded module.
 */
async function viewText(dir: string, id: string): Promise<{ ms: number; peakRss: number; note: boolean; code: number | null }> {
  const rssFile = join(dir, `.view-rss-${id}`);
  const atExit = `import { writeFileSync } from 'node:fs'; process.on('exit', () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS * 1024)));`;
  const bin = fileURLToPath(new URL('../cli/bin.js', import.meta.url));
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(atExit)}`, bin, 'trace', 'view', id, '--text', '--traces', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let note = false;
  let tail = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    note ||= (tail + d).includes('Note: showing');
    tail = d.slice(-64);
  });
  const code = await new Promise<number | null>((ok) => child.on('close', ok));
  const ms = performance.now() - t0;
  return { ms, peakRss: Number(await readFile(rssFile, 'utf8')), note, code };
}

interface RecorderReport {
  peakRss: number;
  tracePath: string;
}

/** One recording in a fresh process, so its peak RSS is the recorder's own. */
function recordInChild(upstream: string, bytes: number, eventSize: number, spillBytes: number, dir: string) {
  const child = fork(fileURLToPath(import.meta.url), ['--big-recorder'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, TRACEFORGE_SPILL_BYTES: String(spillBytes), TF_BENCH_UPSTREAM: upstream, TF_BENCH_DIR: dir },
  });
  return new Promise<{ client: Awaited<ReturnType<typeof timedPost>>; report: RecorderReport; seconds: number }>((resolve, reject) => {
    child.once('error', reject);
    child.on('message', async (m: { url?: string; report?: RecorderReport }) => {
      if (m.url) {
        const t0 = performance.now();
        const client = await timedPost(`${m.url}/big?bytes=${bytes}&event=${eventSize}`, { stream: true }, { keepBody: false });
        const seconds = (performance.now() - t0) / 1000;
        child.send('done');
        child.once('message', (r: { report: RecorderReport }) => resolve({ client, report: r.report, seconds }));
      }
    });
  });
}

/**
 * Issue-6 bounded memory: a 200 MB SSE body of about a million 200-byte events recorded through the
 * recorder (in its own process) into a trace file, with spilling on, next to a smaller run with it off.
 */
export async function benchBigStream(o: BenchOptions): Promise<string> {
  const up = await startBenchUpstream(jitteredStream(3));
  const dir = await mkdtemp(join(tmpdir(), 'tf-bench-big-'));
  const EVENT = 200;
  try {
    const rows: string[][] = [];
    const runs: Array<[string, number, number]> = [
      ['spilling (default: 8 MiB per call in memory)', o.bigBytes, 8 * 1024 * 1024],
      ['baseline: spilling off', Math.min(o.bigBytes, 48 * 1048576), 1e15],
    ];
    const checks: string[] = [];
    for (const [name, bytes, spill] of runs) {
      const sub = join(dir, String(rows.length));
      const { client, report, seconds } = await recordInChild(up.url, bytes, EVENT, spill, sub);
      const size = (await stat(report.tracePath)).size;
      const file = await hashChunks(report.tracePath);
      const t0 = performance.now();
      const listing = await listTraces(sub);
      const listMs = performance.now() - t0;
      const view = await viewText(sub, listing.rows[0]!.id);
      rows.push([name, mb(client.bytes), file.chunks.toLocaleString('en-US'), mb(size), mb(report.peakRss), `${seconds.toFixed(1)} s`, `${listMs.toFixed(0)} ms`, `${(view.ms / 1000).toFixed(1)} s`, mb(view.peakRss)]);
      checks.push(`${name}: client got every byte ${!client.dropped}, trace chunks byte-identical ${file.sha256 === client.sha256}, listed ${listing.rows.length === 1 && listing.rows[0]!.chunks === file.chunks}, view --text exit ${view.code} with the window note ${view.note}`);
    }
    return [
      `Big stream (issue 6): ~${EVENT}-byte SSE events through the recorder (own process) into a trace file`,
      table(['', 'body', 'chunks', 'trace file', 'peak RSS', 'recording', 'list', 'view --text', 'view RSS'], rows),
      ...checks.map((c) => `  ${c}`),
    ].join('\n');
  } finally {
    await up.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--big-recorder') && process.send) {
  const store = createTraceStore(process.env.TF_BENCH_DIR);
  let tracePath = '';
  const rec = await startRecorder({ upstream: process.env.TF_BENCH_UPSTREAM!, onTrace: async (t) => void (tracePath = await store.save(t)) });
  process.send({ url: rec.url });
  process.once('message', async () => {
    await rec.close();
    process.send!({ report: { peakRss: process.resourceUsage().maxRSS * 1024, tracePath } });
    process.disconnect();
  });
}
