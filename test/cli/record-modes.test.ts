/**
 * `traceforge record --cassette F --mode M -- cmd`, run again and again on one cassette: what each VCR
 * mode writes, and the line that says so. The recorder runs in-process (main()); the app is a real child.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCassette } from '../../src/store/cassette-file.js';
import { openaiChatStream, startFakeUpstream, type FakeUpstream } from '../fakes/index.js';
import { runMain } from '../helpers/run-main.js';

// Asks each question in argv, one after another, through OPENAI_BASE_URL (the recorder).
const APP = `for (const q of process.argv.slice(1)) {
  const r = await fetch(process.env.OPENAI_BASE_URL + '/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: q }] }) });
  await r.text();
}`;

describe('record --cassette --mode', () => {
  let upstream: FakeUpstream;
  let cwd: string;
  // Each answer says which call of the run it was, so a replaced recording can be told from the old one.
  let served = 0;
  beforeAll(async () => {
    upstream = await startFakeUpstream(() => openaiChatStream({ text: [`answer ${++served}`] }));
    cwd = await mkdtemp(join(tmpdir(), 'tf-rec-modes-'));
  });
  afterAll(() => upstream?.close());

  const record = (flags: string[], questions: string[]) =>
    runMain(['record', '--upstream', upstream.url, '--cassette', 'fixtures/chat.yaml', ...flags, '--', process.execPath, '--input-type=module', '-e', APP, ...questions], { cwd });
  const answers = async (): Promise<string[]> =>
    (await loadCassette(join(cwd, 'fixtures/chat.yaml'))).interactions.map((t) => `${(t.request as { messages: Array<{ content: string }> }).messages[0]!.content}: ${/answer \d+/.exec(t.chunks!.map((c) => c.raw).join(''))?.[0]}`);

  it('new_episodes is the default: a second run adds no duplicates, a new call is appended; all replaces each re-recorded call in place; each run says what it did', async () => {
    let r = await record([], ['a', 'b']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('cassette fixtures/chat.yaml (--mode new_episodes): 2 recorded, 0 replaced, 0 already there');
    expect(await answers()).toEqual(['a: answer 1', 'b: answer 2']);

    r = await record([], ['a', 'b']);
    expect(r.stderr).toContain('(--mode new_episodes): 0 recorded, 0 replaced, 2 already there');
    expect(await answers()).toEqual(['a: answer 1', 'b: answer 2']);

    r = await record(['--mode', 'new_episodes'], ['a', 'c']);
    expect(r.stderr).toContain('(--mode new_episodes): 1 recorded, 0 replaced, 1 already there');
    expect(await answers()).toEqual(['a: answer 1', 'b: answer 2', 'c: answer 6']);

    r = await record(['--mode', 'all'], ['c', 'a', 'd']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('(--mode all): 1 recorded, 2 replaced, 0 already there');
    // Replaced where they were; b, which no call asked for again, is kept; d is appended.
    expect(await answers()).toEqual(['a: answer 8', 'b: answer 2', 'c: answer 7', 'd: answer 9']);
  }, 60_000);

  it('bad uses get one line each: once on a cassette that exists, none, a mode without a cassette', async () => {
    let r = await record(['--mode', 'once'], ['a']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cassette fixtures/chat.yaml exists and --mode once records only a new one: pass --mode new_episodes');
    r = await record(['--mode', 'none'], ['a']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--mode must be new_episodes, all or once, got "none": none records nothing');
    r = await runMain(['record', '--mode', 'all', '--upstream', upstream.url, '--', process.execPath, '-e', ''], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--mode all says how calls go into a cassette: add --cassette FILE');
  });
});
