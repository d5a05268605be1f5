import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { emptyCassette } from '../cassette/codec.js';
import { startRecorder } from '../record/recorder.js';
import { loadCassette, writeCassette } from '../store/cassette-file.js';
import type { Trace } from '../trace/types.js';
import { timedPost } from './client.js';
import { jitteredStream } from './stream.js';
import { startBenchUpstream } from './upstream.js';

/**
 * Cassette work for the session benchmark, each run in a process of its own so that its time and
 * peak RSS are its own and a slow or failing run can be stopped without stopping the bench:
 * `--make PATH BYTES N` writes a cassette of N interactions of about BYTES/N bytes each (real
 * recordings of SSE bodies of 1 KiB events through the recorder, written with writeCassette) and
 * `--load PATH` times loadCassette. Each prints one JSON line on stdout.
 */
export interface MakeReport {
  bytes: number;
  interactions: number;
  /** writeCassette's own time. */
  writeMs: number;
}

export interface LoadReport {
  interactions: number;
  ms: number;
}

export interface ChildResult<T> {
  value?: T;
  /** Wall time from spawn to exit (or to being stopped). */
  ms: number;
  /** Peak RSS (VmHWM, bytes; 0 where /proc is not available). */
  peakRss: number;
  /** Why there is no value: stopped at the time limit, or what it said on stderr. */
  error?: string;
}

/** Peak RSS of a live process from /proc (Linux); 0 when it cannot be read. */
export async function vmHwm(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  try {
    const m = /VmHWM:\s*(\d+)\s*kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Run a bench module (this one unless `command` names another program and its arguments) in a child with
 * `args`, stop it after `limitMs`; its last stdout line is the JSON value.
 */
export function runCassetteChild<T>(args: string[], limitMs: number, command: [string, ...string[]] = [process.execPath, fileURLToPath(import.meta.url)]): Promise<ChildResult<T>> {
  const t0 = performance.now();
  const child = spawn(command[0], [...command.slice(1), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let peak = 0;
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-2000)));
  const sample = setInterval(() => void vmHwm(child.pid).then((v) => (peak = Math.max(peak, v))), 100);
  let stopped = false;
  const limit = setTimeout(() => {
    stopped = true;
    child.kill('SIGKILL');
  }, limitMs);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearInterval(sample);
      clearTimeout(limit);
      const ms = performance.now() - t0;
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) {
        const value = JSON.parse(line) as T & { peakRss?: number };
        resolve({ value, ms, peakRss: Math.max(peak, value.peakRss ?? 0) });
      } else {
        const why = stopped ? `stopped at the ${(limitMs / 1000).toFixed(0)} s limit` : `exit ${code ?? signal}: ${err.trim().split('\n').slice(-3).join(' | ').slice(0, 300)}`;
        resolve({ ms, peakRss: peak, error: why });
      }
    });
  });
}

async function recordBig(upstream: string, recorderUrl: string, bytes: number): Promise<void> {
  const r = await timedPost(`${recorderUrl}/big?bytes=${Math.round(bytes)}&event=1024`, { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'big' }] }, { keepBody: false });
  if (r.status !== 200 || r.dropped) throw new Error(`session-cassette: recording a ${bytes}-byte body through ${upstream} failed (status ${r.status})`);
}

async function make(path: string, totalBytes: number, count: number): Promise<MakeReport> {
  const up = await startBenchUpstream(jitteredStream(3));
  const traces: Trace[] = [];
  const rec = await startRecorder({ upstream: up.url, onTrace: (t) => void traces.push(t) });
  try {
    // How many cassette bytes one body byte costs in this cassette format, from a 100 KB probe.
    const PROBE = 100_000;
    await recordBig(up.url, rec.url, PROBE);
    await rec.flush();
    await writeCassette(path, { ...emptyCassette(), interactions: [traces[0]!] });
    const empty = `${path}.empty`;
    await writeCassette(empty, emptyCassette());
    const perByte = ((await stat(path)).size - (await stat(empty)).size) / PROBE;
    await recordBig(up.url, rec.url, totalBytes / count / perByte);
    await rec.flush();
  } finally {
    await rec.close();
    await up.close();
  }
  const base = traces[1]!;
  const interactions = Array.from({ length: count }, (_, i): Trace => ({
    ...base,
    id: `${base.id.slice(0, -5)}${i.toString(16).padStart(5, '0')}`,
    request: { ...(base.request as Record<string, unknown>), messages: [{ role: 'user', content: `big call ${i}` }] },
  }));
  const t0 = performance.now();
  await writeCassette(path, { ...emptyCassette(), interactions });
  return { bytes: (await stat(path)).size, interactions: count, writeMs: performance.now() - t0 };
}

if (process.argv[2] === '--make') {
  const report = await make(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
  process.stdout.write(`${JSON.stringify(report)}\n`);
} else if (process.argv[2] === '--load') {
  const t0 = performance.now();
  const cassette = await loadCassette(process.argv[3]!);
  const report: LoadReport & { peakRss: number } = { interactions: cassette.interactions.length, ms: performance.now() - t0, peakRss: process.resourceUsage().maxRSS * 1024 };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
