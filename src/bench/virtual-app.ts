/**
 * A fresh process that plays the app under test for the virtual-clock bench: it opens the cassette
 * with in-process interception on the given clock, streams the recorded call with the official openai
 * SDK, stamps each chunk with its own performance.now(), and prints what it measured as JSON.
 * `node dist/bench/virtual-app.js CASSETTE wall|virtual`
 */
import { openCassette } from '../session.js';
import { realNow } from '../util/real-timers.js';

const [path, clock] = process.argv.slice(2) as [string, 'wall' | 'virtual'];
const { default: OpenAI } = await import('openai');
const session = await openCassette(path, { mode: 'none', intercept: true, clock, traces: false });
const openai = new OpenAI({ apiKey: 'sk-bench', maxRetries: 0 });
const wall0 = realNow();
const t0 = performance.now();
const at: number[] = [];
const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Count slowly.' }] });
for await (const _ of stream) at.push(performance.now() - t0);
const wallMs = realNow() - wall0;
const lateness = session.lateness();
await session.close();
process.stdout.write(`${JSON.stringify({ at, wallMs, misses: session.misses.length, latenessP99: lateness.p99 })}\n`);
