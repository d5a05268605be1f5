/**
 * Settings that can only be wrong are refused when things start, in one line naming the setting, rather
 * than on each call (a file: upstream failed every recorded call, one by one).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecorder } from '../../src/record/recorder.js';
import { openCassette } from '../../src/session.js';
import { caught, expectOneLine, tempDir } from './helpers.js';

let dir: { dir: string; cleanup(): Promise<void> };
beforeAll(async () => {
  dir = await tempDir('tf-start-checks-');
});
afterAll(() => dir.cleanup());

describe('upstream URLs', () => {
  const bad = ['file:///etc/passwd', 'http:example.com', 'data:text/plain,hi', 'http://', 'ftp://example.com/'];

  it('TRACEFORGE_UPSTREAM that is not an http(s) URL with a host fails the session at start, in every mode', async () => {
    for (const value of bad) {
      for (const mode of ['all', 'none'] as const) {
        const env = { TRACEFORGE_UPSTREAM: value };
        const e = expectOneLine(await caught(() => openCassette(join(dir.dir, 'c.yaml'), { mode, env, missing: 'empty', traces: false })), 'E_USAGE', 'TRACEFORGE_UPSTREAM');
        expect(e.message).toContain(`got "${value}"`);
      }
    }
  });

  it('the upstream option and startRecorder refuse them too', async () => {
    for (const value of bad) {
      expectOneLine(await caught(() => openCassette(join(dir.dir, 'c.yaml'), { mode: 'all', upstream: value, env: {}, traces: false })), 'E_USAGE', value);
      expectOneLine(await caught(() => startRecorder({ upstream: value, onTrace: () => undefined })), 'E_USAGE', value);
    }
  });
});
