/**
 * The root export is the public API: every runtime name it gives is documented in docs/api.md, and the
 * page documents nothing that is not exported. An internal helper exported by accident (or a documented
 * function removed) fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';

const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
// Table rows of the form "| `name` | ...": the names the page documents as runtime exports.
const documented = [...doc.matchAll(/^\| `([A-Za-z_][\w]*)` \|/gm)].map((m) => m[1]!).sort();

describe('the public API', () => {
  it('exports exactly the runtime names docs/api.md documents', () => {
    expect(Object.keys(api).sort()).toEqual(documented);
  });

  it('stays small', () => {
    expect(Object.keys(api).length).toBeLessThanOrEqual(30);
  });
});
