import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRecorder } from '../../src/record/recorder.js';
import { sweepStaleSpills } from '../../src/record/spill.js';

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('spill files of a killed recorder', () => {
  it('are removed when the owner process is gone; a live owner keeps its own', async () => {
    const root = await mkdtemp(join(tmpdir(), 'tf-sweep-'));
    const stale = join(root, `traceforge-spill-${deadPid()}-abc123`);
    const mine = join(root, `traceforge-spill-${process.pid}-def456`);
    const other = join(root, 'traceforge-spill-unrelated');
    for (const d of [stale, mine, other]) {
      await mkdir(d);
      await writeFile(join(d, 'x.ndjson'), '{"at":0,"raw":"secret-ish body"}\n');
    }
    expect(await sweepStaleSpills(root)).toEqual([stale]);
    expect([existsSync(stale), existsSync(mine), existsSync(other)]).toEqual([false, true, true]);
  });

  it('a recorder sweeps the temp directory when it starts', async () => {
    const stale = join(tmpdir(), `traceforge-spill-${deadPid()}-sweepme`);
    await mkdir(stale, { recursive: true });
    await writeFile(join(stale, 'x.ndjson'), '{}\n');
    const rec = await startRecorder({ upstream: 'http://127.0.0.1:9' });
    await rec.close();
    expect(existsSync(stale)).toBe(false);
  });
});
