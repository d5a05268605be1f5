/**
 * Under CI only the test's own servers on loopback pass unserved. Loopback is decided on the address
 * (as the URL parser normalises it), never on how a name starts: `127.evil.test` and `127.0.0.1.nip.io`
 * are names that DNS may send anywhere. A local listener stands in for where they would resolve.
 */
import http from 'node:http';
import type net from 'node:net';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { isLoopback } from '../../src/intercept/hosts.js';
import { openCassette } from '../../src/session.js';
import { useStandIn } from '../helpers/stand-in.js';
import { tempCassette } from '../virtual/helpers.js';

const octet = fc.integer({ min: 0, max: 255 });

it('an IPv4 address is loopback exactly when it is in 127.0.0.0/8, however it is spelled', () => {
  fc.assert(
    fc.property(octet, octet, octet, octet, fc.constantFrom('dotted', 'decimal', 'hex'), (a, b, c, d, spelling) => {
      const n = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
      const host = spelling === 'dotted' ? `${a}.${b}.${c}.${d}` : spelling === 'decimal' ? String(n) : `0x${n.toString(16)}`;
      expect(isLoopback(new URL(`http://${host}:9300/`))).toBe(a === 127);
      expect(isLoopback(new URL(`http://[::ffff:${a}.${b}.${c}.${d}]/`))).toBe(a === 127);
    }),
  );
});

it('a name is never loopback because of how it starts, whatever labels follow', () => {
  const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
  fc.assert(
    fc.property(octet, fc.array(label, { minLength: 1, maxLength: 3 }), (x, labels) => {
      expect(isLoopback(new URL(`http://127.${x}.${labels.join('.')}/`))).toBe(false);
      expect(isLoopback(new URL(`http://127.0.0.1.${labels.join('.')}/`))).toBe(false);
    }),
  );
  for (const ok of ['http://localhost:1/', 'http://[::1]/', 'http://[0:0:0:0:0:0:0:1]/', 'http://127.1/']) expect(isLoopback(new URL(ok)), ok).toBe(true);
});

const standIn = useStandIn();

it('under CI, names that start like loopback addresses are refused before connecting', async () => {
  const session = await openCassette(await tempCassette([]), { mode: 'none', intercept: { unmatched: 'error' } });
  try {
    for (const host of ['127.evil.test', '127.0.0.1.nip.io']) {
      // Resolved to the stand-in listener: a call let through would be counted there.
      const lookup = ((_h: string, _o: unknown, cb: (e: Error | null, a: string, f: number) => void) => cb(null, '127.0.0.1', 4)) as unknown as net.LookupFunction;
      const err = await new Promise<Error>((resolve) => {
        http.get({ host, port: standIn.port, path: '/x', lookup }, () => resolve(new Error('answered'))).on('error', resolve);
      });
      expect(err.message).toMatch(new RegExp(`blocked a call to http://${host.replace(/\./g, '\\.')}:${standIn.port}/x`));
    }
  } finally {
    await session.close();
  }
  expect(standIn.connections).toBe(0);
});
