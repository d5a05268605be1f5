import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMatcher } from '../cassette/match.js';
import { openCassette } from '../session.js';
import { loadCassette, writeCassette } from '../store/cassette-file.js';
import type { Trace } from '../trace/types.js';
import type { BenchOptions } from './options.js';
import { runCassetteChild, type LoadReport } from './session-cassette.js';
import { fmt, mb, percentile, table } from './stats.js';

/**
 * Issue 26: what a test file pays to open a suite cassette. The same N small chat interactions are saved,
 * loaded, opened for replay and matched by TraceForge and by vcrpy (Debian's python3-vcr, libyaml), in
 * the same run. Loads and opens run in fresh processes, as each test worker's are, for their time and peak RSS.
 * `node dist/bench/cassette-open.js --open PATH N` is the open child (loads use session-cassette.ts's `--load`).
 */
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const VCRPY_SCRIPT = fileURLToPath(new URL('../../src/bench/vcrpy-cassette.py', import.meta.url));
const PATH = '/v1/chat/completions';
const SELF: [string, string] = [process.execPath, fileURLToPath(import.meta.url)];

const question = (i: number) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `question number ${i}: say hello` }], stream: false, temperature: 0.2 });

/** A small non-streamed chat call, about 1.3 KB in a cassette; recorded times are kept short so replay times are TraceForge's own. */
function chat(i: number): Trace {
  const response = {
    id: `chatcmpl-${i}`,
    object: 'chat.completion',
    created: 1764000000,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content: `Hello! Answer ${i}.` }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 14, completion_tokens: 5, total_tokens: 19 },
  };
  return {
    schema_version: 1,
    id: `tr${i.toString(16).padStart(10, '0')}`,
    timestamp: '2026-11-24T15:41:00.123Z',
    endpoint: PATH,
    request: question(i),
    response,
    metadata: { duration_ms: 0.6, status: 'success', model: 'gpt-4o-mini', provider: 'openai', stream: false, upstream: 'https://api.openai.com' },
    http: {
      method: 'POST',
      url: PATH,
      request_headers: { 'content-type': 'application/json', authorization: '[REDACTED]' },
      status: 200,
      status_message: 'OK',
      response_headers: [['content-type', 'application/json'], ['x-request-id', `req_${i}`]],
      framing: 'raw',
      headers_ms: 0.4,
      first_byte_ms: 0.5,
      body: [{ delta_ms: 0, raw: JSON.stringify(response) }],
      outcome: 'complete',
    },
  };
}

export interface OpenReport {
  openMs: number;
  /** Request latency (speed 1, recorded times under 1 ms): the first after open, the hundredth, and the median of 2..100. */
  firstMs: number;
  hundredthMs: number;
  medianMs: number;
  peakRss: number;
}

async function timedCall(url: string, i: number): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}${PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(question(i)) });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`bench: request ${i} got ${res.status}`);
  return performance.now() - t0;
}

/** In a child: open the cassette for replay as a test file does, then 100 requests for interactions spread over it. */
async function openChild(path: string, n: number): Promise<OpenReport> {
  // The client's own first call (undici sets itself up) is not the replay's: made first, to a throwaway server.
  const server = createServer((_, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { method: 'POST', body: '{}' })).arrayBuffer();
  server.close();
  const t0 = performance.now();
  const session = await openCassette(path, { mode: 'none' });
  const openMs = performance.now() - t0;
  const times: number[] = [];
  try {
    for (let k = 0; k < 100; k++) times.push(await timedCall(session.url, (k * 7919) % n));
  } finally {
    await session.close();
  }
  const rest = times.slice(1).sort((a, b) => a - b);
  return { openMs, firstMs: times[0]!, hundredthMs: times[99]!, medianMs: percentile(rest, 50), peakRss: process.resourceUsage().maxRSS * 1024 };
}

interface VcrpyReport {
  vcrpy: string;
  libyaml: boolean;
  saveMs: number[];
  loadMs: number[];
  matchUs: number[];
  peakRss: number;
}

/** vcrpy on the same calls, or why it was not run. */
async function vcrpy(dir: string, traces: Trace[], runs: number): Promise<VcrpyReport | string> {
  const probe = spawnSync(PYTHON, ['-c', 'import vcr, yaml; print(vcr.__version__, yaml.__with_libyaml__)'], { encoding: 'utf8' });
  if (probe.status !== 0) return `vcrpy skipped: ${PYTHON} ${probe.error ? 'is missing' : 'has no vcr module'} (apt install python3-vcr, or set BENCH_PYTHON)`;
  const calls = traces.map((t) => ({
    method: t.http.method,
    uri: `https://api.openai.com${t.http.url}`,
    body: JSON.stringify(t.request),
    headers: { 'content-type': 'application/json' },
    status: t.http.status,
    response_headers: t.http.response_headers,
    response_body: t.http.body![0]!.raw,
  }));
  const source = join(dir, `calls-${traces.length}.json`);
  await writeFile(source, JSON.stringify(calls));
  const r = await runCassetteChild<VcrpyReport>([source, join(dir, `vcrpy-${traces.length}.yaml`), String(runs)], 600_000, [PYTHON, VCRPY_SCRIPT]);
  return r.value ?? `vcrpy failed: ${r.error}`;
}

const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
const range = (xs: number[], digits = 0) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 1 ? fmt(s[0]!, digits) : `${fmt(median(s), digits)} (${fmt(s[0]!, digits)}-${fmt(s.at(-1)!, digits)})`;
};

async function one(dir: string, n: number, runs: number): Promise<{ rows: string[][]; notes: string[] }> {
  const traces = Array.from({ length: n }, (_, i) => chat(i));
  const path = join(dir, `tf-${n}.yaml`);
  const saves: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    await writeCassette(path, { version: 2, interactions: traces });
    saves.push(performance.now() - t0);
  }
  const bytes = (await stat(path)).size;
  // Each child run twice: with an empty parse cache (the first worker to open these bytes) and with the
  // cache the first left (every later worker and run).
  const loads = { cold: [] as number[], warm: [] as number[] };
  const opens = { cold: [] as OpenReport[], warm: [] as OpenReport[] };
  const loadRss: number[] = [];
  const openRss: number[] = [];
  for (let k = 0; k < runs; k++) {
    for (const cache of ['cold', 'warm'] as const) {
      // The load's and the open's caches each start empty (an open above 4 MiB caches an index, not the cassette).
      process.env.TRACEFORGE_CACHE_DIR = join(dir, `cache-${n}-${k}-load`);
      const load = await runCassetteChild<LoadReport>(['--load', path], 120_000);
      if (!load.value) throw new Error(`bench: loading ${path} failed: ${load.error}`);
      if (load.value.interactions !== n) throw new Error(`bench: loaded ${load.value.interactions} of ${n}`);
      loads[cache].push(load.value.ms);
      loadRss.push(load.peakRss);
      process.env.TRACEFORGE_CACHE_DIR = join(dir, `cache-${n}-${k}-open`);
      const open = await runCassetteChild<OpenReport>(['--open', path, String(n)], 120_000, SELF);
      if (!open.value) throw new Error(`bench: opening ${path} failed: ${open.error}`);
      opens[cache].push(open.value);
      openRss.push(open.peakRss);
    }
  }
  delete process.env.TRACEFORGE_CACHE_DIR;
  // Matching, in this process: requests spread over the cassette, each matched once.
  const { interactions } = await loadCassette(path);
  const matcher = createMatcher(interactions);
  const matchUs: number[] = [];
  for (let i = 0; i < n; i += Math.max(1, Math.floor(n / 200))) {
    const body = JSON.stringify(question(i));
    const t0 = performance.now();
    const r = matcher.match({ method: 'POST', url: PATH, body });
    matchUs.push((performance.now() - t0) * 1000);
    if ('miss' in r || r.index !== i) throw new Error(`bench: request ${i} matched ${'miss' in r ? 'nothing' : r.index}`);
  }
  const py = await vcrpy(dir, traces, runs);
  const v = typeof py === 'string' ? undefined : py;
  const dash = '—';
  const rows = [
    [`save, ${n} (${mb(bytes)})`, `${range(saves)} ms`, v ? `${range(v.saveMs)} ms` : dash],
    ['load (loadCassette; vcrpy Cassette.load)', `${range(loads.cold)} ms`, v ? `${range(v.loadMs)} ms` : dash],
    ['load again (parse cache)', `${range(loads.warm)} ms`, dash],
    ["openCassette(path, { mode: 'none' }) until ready", `${range(opens.cold.map((o) => o.openMs))} ms`, dash],
    ['open again (parse cache)', `${range(opens.warm.map((o) => o.openMs))} ms`, dash],
    ['request after open: 1st / 100th / median 2-100', `${fmt(median(opens.warm.map((o) => o.firstMs)), 2)} / ${fmt(median(opens.warm.map((o) => o.hundredthMs)), 2)} / ${fmt(median(opens.warm.map((o) => o.medianMs)), 2)} ms`, dash],
    ['match one request, median (p99)', `${fmt(median(matchUs), 1)} (${fmt(percentile([...matchUs].sort((a, b) => a - b), 99), 1)}) µs`, v ? `${fmt(median(v.matchUs), 0)} (${fmt(percentile([...v.matchUs].sort((a, b) => a - b), 99), 0)}) µs` : dash],
    ['peak RSS: load / open', `${mb(Math.max(...loadRss))} / ${mb(Math.max(...openRss))}`, v ? `${mb(v.peakRss)} (whole run)` : dash],
  ];
  const notes = typeof py === 'string' ? [py] : v && !v.libyaml ? ['vcrpy ran WITHOUT libyaml (pure-Python yaml): its times are not the C loader\'s'] : [];
  return { rows, notes };
}

/** The open floor: the same open of a one-interaction cassette (the replay thread's own start). */
async function floor(dir: string, runs: number): Promise<string> {
  const path = join(dir, 'tf-1.yaml');
  await writeCassette(path, { version: 2, interactions: [chat(0)] });
  const ms: number[] = [];
  for (let k = 0; k < runs; k++) {
    const r = await runCassetteChild<OpenReport>(['--open', path, '1'], 60_000, SELF);
    if (r.value) ms.push(r.value.openMs);
  }
  return `${range(ms)} ms`;
}

export async function benchCassetteOpen(o: BenchOptions): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tf-bench-open-'));
  try {
    const runs = o.quick ? 3 : 5;
    const out = [`cassette-open (issue 26): N small chat calls; median (min-max) of ${runs} runs, loads and opens each in a fresh process`];
    const notes: string[] = [];
    for (const n of [1000, 10_000]) {
      const r = await one(dir, n, n > 1000 ? Math.min(runs, 3) : runs);
      out.push('', table(['', 'TraceForge', 'vcrpy'], r.rows));
      notes.push(...r.notes);
    }
    out.push('', `  open of a one-interaction cassette (the replay thread's own start, the floor of any open): ${await floor(dir, runs)}`);
    out.push(...[...new Set(notes)].map((n) => `  ${n}`));
    return out.join('\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--open') {
  process.stdout.write(`${JSON.stringify(await openChild(process.argv[3]!, Number(process.argv[4])))}\n`);
}
