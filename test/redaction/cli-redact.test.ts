import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadCassette } from '../../src/store/cassette-file.js';
import { openaiChatStream, splitTokens, startFakeUpstream, type FakeUpstream } from '../fakes/index.js';
import { allFiles, findInFile } from './leak-check.js';

/**
 * `traceforge record --redact-header/--redact-field -- cmd`, then `traceforge gen` on what it recorded:
 * the user's own secrets reach none of the files either command writes (traces, index, cassette, test file).
 */
const SECRETS = { header: 'gw-token-Q7v!2mZ#kP', field: 'tenant-9f3c-ZZ-88x', key: 'sk-cli-test-key-abcdefghijkl' };

describe('record and gen from the CLI keep user-named secrets out', () => {
  let upstream: FakeUpstream;
  beforeAll(async () => {
    upstream = await startFakeUpstream(openaiChatStream({ text: splitTokens(`Your tenant is ${SECRETS.field}`), gaps: 1 }));
  });
  afterAll(() => upstream.close());

  it('--redact-header and --redact-field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tf-redact-cli-'));
    const app = join(dir, 'app.mjs');
    await writeFile(
      app,
      `const res = await fetch(process.env.OPENAI_BASE_URL + '/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer ${SECRETS.key}', 'x-gateway-token': ${JSON.stringify(SECRETS.header)} },
        body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'who am I?' }], tenant: ${JSON.stringify(SECRETS.field)} }),
      });
      await res.text();`,
    );
    const traces = join(dir, 'traces');
    const cassette = join(dir, 'fixtures', 'cli.yaml');
    const code = await main(['node', 'traceforge', 'record', '--upstream', upstream.url, '--traces', traces, '--cassette', cassette,
      '--redact-header', 'X-Gateway-Token', '--redact-field', 'tenant', '--', process.execPath, app]);
    expect(code).toBe(0);
    // The upstream got the real values.
    expect(upstream.requests.at(-1)!.headers['x-gateway-token']).toBe(SECRETS.header);
    const [t] = (await loadCassette(cassette)).interactions;
    expect(t!.request).toMatchObject({ tenant: '[REDACTED]' });
    expect(t!.http.request_headers['x-gateway-token']).toBe('[REDACTED]');

    const id = (await readdir(traces)).find((f) => f.endsWith('.json') && !f.startsWith('.'))!.replace(/^.*_|\.json$/g, '');
    // gen writes only inside the project it runs in.
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(await main(['node', 'traceforge', 'gen', id, '--traces', traces, '--out', 'test/gen.test.ts', '--cassette', 'fixtures/gen.yaml'])).toBe(0);
    } finally {
      process.chdir(cwd);
    }
    expect(await main(['node', 'traceforge', 'trace', 'list', '--traces', traces, '--json'])).toBe(0);

    const files = await allFiles(dir);
    expect(files.map((f) => f.slice(dir.length))).toEqual(expect.arrayContaining(['/test/gen.test.ts', '/fixtures/gen.yaml', '/traces/.index.json']));
    const hits: string[] = [];
    for (const f of files.filter((x) => x !== app)) hits.push(...(await findInFile(f, Object.values(SECRETS))));
    expect(hits).toEqual([]);
  });

  it('a flag without a usable name is a usage error', async () => {
    expect(await main(['node', 'traceforge', 'record', '--upstream', upstream.url, '--redact-header', 'bad header', '--', process.execPath, '-e', '0'])).toBe(2);
  });
});
