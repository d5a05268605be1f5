import { writeFileSync } from 'node:fs';
import { mono } from './client.js';
import { rawTimedPost } from './raw-client.js';

/**
 * The app of the session benchmark: run by `traceforge record ... -- node session-client.js`, as a
 * user's app would be, it calls `$OPENAI_BASE_URL/chat/completions` (streamed) TF_BENCH_CALLS times,
 * one after another (TF_BENCH_MODE=sequential, stopping early once mono() passes TF_BENCH_DEADLINE)
 * or all at once (concurrent). Request i carries `x-bench-id: <TF_BENCH_TAG>-<i>`. What it saw goes
 * to the JSON file TF_BENCH_OUT (see SessionClientReport); stdout is left alone.
 */
export interface SessionClientReport {
  /** Calls started. */
  calls: number;
  /** Calls that got status 200 and a complete body. */
  complete: number;
  /** mono() when each call's response had ended (client side), by call index. */
  ends: number[];
  /** The sequential run stopped at TF_BENCH_DEADLINE before making every call. */
  stoppedEarly: boolean;
  /** The first few failures, described. */
  failures: string[];
}

const REQUEST = { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Count slowly.' }] };

async function main(): Promise<void> {
  const base = process.env.OPENAI_BASE_URL;
  if (!base) throw new Error('session-client: OPENAI_BASE_URL is not set (run it under `traceforge record -- node session-client.js`)');
  const calls = Number(process.env.TF_BENCH_CALLS ?? 1);
  const tag = process.env.TF_BENCH_TAG ?? 's';
  const deadline = Number(process.env.TF_BENCH_DEADLINE ?? Infinity);
  const url = `${base.replace(/\/+$/, '')}/chat/completions`;
  const report: SessionClientReport = { calls: 0, complete: 0, ends: [], stoppedEarly: false, failures: [] };
  const one = async (i: number) => {
    report.calls++;
    try {
      const r = await rawTimedPost(url, REQUEST, { 'x-bench-id': `${tag}-${i}` });
      report.ends[i] = mono();
      if (r.status === 200 && !r.dropped) report.complete++;
      else if (report.failures.length < 5) report.failures.push(`call ${i}: status ${r.status}, ${r.bytes} bytes${r.dropped ? ', dropped' : ''}`);
    } catch (e) {
      report.ends[i] = mono();
      if (report.failures.length < 5) report.failures.push(`call ${i}: ${(e as Error).message}`);
    }
  };
  if (process.env.TF_BENCH_MODE === 'concurrent') await Promise.all(Array.from({ length: calls }, (_, i) => one(i)));
  else {
    for (let i = 0; i < calls; i++) {
      if (mono() > deadline) {
        report.stoppedEarly = true;
        break;
      }
      await one(i);
    }
  }
  writeFileSync(process.env.TF_BENCH_OUT ?? 'session-client.json', JSON.stringify(report));
}

await main();
