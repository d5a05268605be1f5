import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureCA } from '../../src/record/ca.js';

const fresh = async () => join(await mkdtemp(join(tmpdir(), 'tf-ca-')), '.ai-tests', 'ca');

describe('ensureCA', () => {
  it('generates a CA once, private to the owner and ignored by git, then reuses it', async () => {
    const dir = await fresh();
    const first = await ensureCA(dir);
    expect(first.created).toBe(true);
    const cert = new X509Certificate(first.cert);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toContain('TraceForge');
    expect((await stat(first.keyPath)).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    const again = await ensureCA(dir);
    expect(again).toEqual({ ...first, created: false });
  });

  it('two recorders starting at once end up with the same CA', async () => {
    const dir = await fresh();
    const [a, b] = await Promise.all([ensureCA(dir), ensureCA(dir)]);
    expect(a.cert).toBe(b.cert);
    expect(await readFile(join(dir, 'ca.pem'), 'utf8')).toBe(a.cert);
  });

  it('replaces a CA whose key was deleted, and explains a certificate that is not PEM', async () => {
    const dir = await fresh();
    const first = await ensureCA(dir);
    await rm(first.keyPath);
    const second = await ensureCA(dir);
    expect(second.created).toBe(true);
    expect(second.cert).not.toBe(first.cert);

    const bad = await fresh();
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, 'ca.pem'), 'not a certificate');
    await writeFile(join(bad, 'ca.key'), 'not a key');
    await expect(ensureCA(bad)).rejects.toMatchObject({ code: 'E_PATH', message: expect.stringContaining(`delete ${bad}`) });
  });

  it('refuses a key other users can read, saying how to fix its mode, and reuses it once fixed', async () => {
    const dir = await fresh();
    const first = await ensureCA(dir);
    await chmod(first.keyPath, 0o644);
    await expect(ensureCA(dir)).rejects.toMatchObject({ code: 'E_PATH', message: expect.stringContaining(`can be read by other users (mode 644): run \`chmod 600 ${first.keyPath}\``) });
    await chmod(first.keyPath, 0o600);
    expect((await ensureCA(dir)).cert).toBe(first.cert);
  });
});
