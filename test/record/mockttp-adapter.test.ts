import { describe, expect, it } from 'vitest';
import { createPatchedMockttp, finishPatches } from '../../src/record/mockttp-adapter.js';

describe('mockttp adapter: a patch that does not take stops the recorder from starting', () => {
  const start = async () => {
    const p = createPatchedMockttp({ http2: false, cors: false, recordTraffic: false }, '127.0.0.1', (app) => app);
    await p.server.start(0);
    return p;
  };

  it('no passthrough step whose loop check can be adjusted: refused with the version to install', async () => {
    const p = await start();
    try {
      await expect(finishPatches(p, '127.0.0.1', undefined, async () => ({ noDelay: true }))).rejects.toMatchObject({
        code: 'E_MOCKTTP',
        message: expect.stringMatching(/loop check could not be adjusted.*npm i mockttp@4\.6\.3/),
      });
    } finally {
      await p.server.stop();
    }
  });

  it('a request wrapper that is not on the request path: refused', async () => {
    const p = await start();
    await p.server.forAnyRequest().thenReply(200, 'ok');
    await p.server.forAnyRequest().thenPassThrough();
    try {
      await expect(finishPatches(p, '127.0.0.1', undefined, async () => undefined)).rejects.toMatchObject({ code: 'E_MOCKTTP', message: expect.stringMatching(/request wrapper/) });
    } finally {
      await p.server.stop();
    }
  });

  it('app-facing sockets that still have Nagle on: refused', async () => {
    const p = await start();
    await p.server.forAnyRequest().thenPassThrough();
    try {
      await expect(finishPatches(p, '127.0.0.1', undefined, async () => ({ noDelay: false }))).rejects.toMatchObject({ code: 'E_MOCKTTP', message: expect.stringMatching(/Nagle/) });
    } finally {
      await p.server.stop();
    }
  });

  it('bound to another interface than asked: refused', async () => {
    const p = await start();
    try {
      await expect(finishPatches(p, '127.0.0.2', undefined, async () => ({ noDelay: true }))).rejects.toMatchObject({ code: 'E_MOCKTTP', message: expect.stringMatching(/listens on 127\.0\.0\.1, not on 127\.0\.0\.2/) });
    } finally {
      await p.server.stop();
    }
  });
});
