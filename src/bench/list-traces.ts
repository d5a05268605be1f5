import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INDEX_FILE, listTraces } from '../store/trace-index.js';
import { stringifyTrace } from '../trace/codec.js';
import { percentile } from '../trace/metrics.js';
import { TRACE_SCHEMA_VERSION, type Trace, type TraceChunk } from '../trace/types.js';

const FILES = 10_000;

/** A deterministic OpenAI chat stream trace of `n` chunks, shaped like what the recorder writes. */
function syntheticTrace(i: number, n: number): Trace {
  const id = `bench${String(i).padStart(6, '0')}`;
  const chunks: TraceChunk[] = [];
  let text = '';
  for (let k = 0; k < n; k++) {
    const token = ` tok${(i * 31 + k) % 997}`;
    text += token;
    const data = { id: `chatcmpl-${id}`, object: 'chat.completion.chunk', created: 1764000000, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: token }, finish_reason: null }] };
    chunks.push({ delta_ms: k === 0 ? 0 : 5 + ((i + k * 7) % 25), data, raw: `data: ${JSON.stringify(data)}\n\n` });
  }
  const stream = i % 5 !== 0;
  const timestamp = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  const trace: Trace = {
    schema_version: TRACE_SCHEMA_VERSION,
    id,
    timestamp,
    endpoint: '/v1/chat/completions',
    request: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `question ${i}` }], stream },
    response: { id: `chatcmpl-${id}`, object: 'chat.completion', model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }] },
    metadata: { duration_ms: 400 + n * 15, status: 'success', model: 'gpt-4o-mini', provider: 'openai', stream },
    http: { method: 'POST', url: '/v1/chat/completions', request_headers: {}, status: 200, status_message: 'OK', response_headers: [['content-type', 'text/event-stream']], framing: stream ? 'sse' : 'raw', headers_ms: 300, first_byte_ms: 310, outcome: 'complete' },
  };
  if (stream) {
    trace.chunks = chunks;
    trace.total_chunks = n;
    trace.stream_duration_ms = chunks.reduce((s, c) => s + c.delta_ms, 0);
    trace.first_chunk_latency_ms = 310;
  } else trace.http.body = [{ delta_ms: 0, raw: JSON.stringify(trace.response) }];
  return trace;
}

/** Write `count` synthetic traces into `dir` (most 20-200 chunks, 1 in 100 with 2,000); returns the bytes written. */
export function writeListCorpus(dir: string, count: number): number {
  mkdirSync(dir, { recursive: true });
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const text = stringifyTrace(syntheticTrace(i, i % 100 === 99 ? 2000 : 20 + ((i * 37) % 180)));
    bytes += Buffer.byteLength(text);
    writeFileSync(join(dir, `${new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString().replace(/[:.]/g, '-')}_bench${String(i).padStart(6, '0')}.json`), text);
  }
  return bytes;
}

function time(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const ms = (x: number | null) => (x === null ? '—' : `${x.toFixed(1)} ms`).padStart(10);
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: percentile(s, 50), p99: percentile(s, 99), n: s.length };
};

/**
 * Benchmark of `trace list` over 10,000 trace files (most 20-200 chunks, 1 in 100 with 2,000 chunks, about
 * 1 MB): cold listing (no index: header reads), warm listing (index valid), after 100 files changed behind
 * the index, and the CLI end to end, next to a baseline that parses every file fully.
 */
export async function benchListTraces(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tf-bench-list-'));
  const traces = join(dir, '.ai-tests', 'traces');
  const out: string[] = [`trace list: ${FILES.toLocaleString('en-US')} trace files`];
  try {
    const bytes = writeListCorpus(traces, FILES);
    out.push(`  corpus: ${(bytes / 1e6).toFixed(0)} MB on disk`);

    const cold: number[] = [];
    for (let r = 0; r < 3; r++) {
      rmSync(join(traces, INDEX_FILE), { force: true });
      cold.push(await timeAsync(() => listTraces(traces)));
    }
    const warm: number[] = [];
    for (let r = 0; r < 30; r++) warm.push(await timeAsync(() => listTraces(traces)));

    // 100 files rewritten in place behind the index's back and 50 removed: only the rewritten ones are re-read.
    const names = readdirSync(traces).filter((n) => !n.startsWith('.'));
    for (let i = 0; i < 100; i++) writeFileSync(join(traces, names[i * 7]!), stringifyTrace(syntheticTrace(90_000 + i, 50)));
    for (let i = 0; i < 50; i++) unlinkSync(join(traces, names[i * 11 + 3]!));
    const stale = await timeAsync(async () => {
      const { rows } = await listTraces(traces);
      if (rows.length !== FILES - 50) throw new Error(`bench: listing has ${rows.length} rows`);
    });

    const bin = fileURLToPath(new URL('../cli/bin.js', import.meta.url));
    const runCli = () =>
      time(() => {
        const res = spawnSync(process.execPath, [bin, 'trace', 'list', '--json'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
        if (res.status !== 0) throw new Error(`bench: trace list failed: ${res.stderr}`);
      });
    const cli: number[] = [];
    for (let r = 0; r < 7; r++) cli.push(runCli());
    const cliCold: number[] = [];
    for (let r = 0; r < 3; r++) {
      rmSync(join(traces, INDEX_FILE), { force: true });
      cliCold.push(runCli());
    }

    const full: number[] = [];
    for (let r = 0; r < 3; r++) {
      full.push(time(() => {
        for (const n of readdirSync(traces)) if (!n.startsWith('.')) JSON.parse(readFileSync(join(traces, n), 'utf8'));
      }));
    }

    const row = (label: string, xs: number[]) => {
      const s = stats(xs);
      return `  ${label.padEnd(44)}${ms(s.median)}${ms(s.p99)}   (${s.n} runs)`;
    };
    out.push(`  ${''.padEnd(44)}${'median'.padStart(10)}${'p99'.padStart(10)}`);
    out.push(row('listTraces, warm index', warm));
    out.push(row('listTraces, cold (no index: header reads)', cold));
    out.push(row('listTraces, 100 changed + 50 removed files', [stale]));
    out.push(row('`traceforge trace list --json` (process)', cli));
    out.push(row('`traceforge trace list --json`, no index', cliCold));
    out.push(row('baseline: JSON.parse every file', full));
    const speedup = (stats(full).median ?? 0) / (stats(warm).median ?? 1);
    out.push(`  warm listing is ${speedup.toFixed(0)}x faster than parsing every file; index size ${(statSync(join(traces, INDEX_FILE)).size / 1e6).toFixed(1)} MB`);
    return out.join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
