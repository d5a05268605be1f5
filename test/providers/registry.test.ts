/**
 * The provider registry is the one list (issue 22): each protocol module recognises its own traffic by
 * the body's shape wherever it is served, the path a provider owns beats a body that looks like another
 * (Bedrock's InvokeModel carries Anthropic's), and a module added to the list is picked up by every
 * question the rest of TraceForge asks (recognition, rebuild, summaries, `trace view`, faults, hosts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RECORD_OPTIONS } from '../../src/cli/command-table.js';
import { STRENGTH, type ProtocolModule } from '../../src/trace/providers/protocol.js';
import { createRegistry, FALLBACK, PROTOCOLS, REGISTRY } from '../../src/trace/providers/registry.js';
import type { Provider } from '../../src/trace/types.js';
import { capturedNames, loadCaptured } from './captured.js';

/**
 * What each captured stream is, from its folder name alone (see fixtures/third-party-streams/README.md):
 * `<provider>-<case>`, any `...responses...` is the Responses API, and the rest are OpenAI-compatible chat.
 */
function expectedProvider(name: string): Provider {
  if (name.includes('responses')) return 'openai-responses';
  const named = PROTOCOLS.map((m) => m.provider).filter((p) => name.startsWith(`${p}-`));
  return named.sort((a, b) => b.length - a.length)[0] ?? 'openai';
}

const NEUTRAL_PATHS = ['/gateway', '/proxy/v1/invoke', '/api/v2/llm', '/', '/openai/deployments/x/run'];
const HOSTS = [undefined, 'llm.internal:8080', 'gateway.example.com', 'api.openai.com', 'api.anthropic.com'];

describe('the provider registry', () => {
  const corpus = capturedNames().map((name) => loadCaptured(name));

  it('recognises each of the captured streams by its own path, and again by its body alone behind any path and host', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(57);
    for (const { name, input } of corpus) {
      const byPath = REGISTRY.recognise({ path: input.endpoint, request: input.request, chunks: input.chunks, body: input.body });
      expect([name, byPath.provider]).toEqual([name, expectedProvider(name)]);
    }
    fc.assert(
      fc.property(fc.constantFrom(...corpus), fc.constantFrom(...NEUTRAL_PATHS), fc.constantFrom(...HOSTS), ({ name, input }, path, host) => {
        const m = REGISTRY.recognise({ path, host, chunks: input.chunks, body: input.body });
        expect([name, m.provider]).toEqual([name, expectedProvider(name)]);
      }),
      { numRuns: 200 },
    );
  });

  it('a path only one provider uses beats a body that looks like another\'s', () => {
    const anthropicBody = { anthropic_version: 'bedrock-2023-05-31', messages: [] };
    fc.assert(
      fc.property(fc.constantFrom('invoke', 'invoke-with-response-stream', 'converse-stream'), fc.stringMatching(/^[a-z0-9.-]{1,20}$/), (op, model) => {
        expect(REGISTRY.recognise({ path: `/model/${model}/${op}`, request: anthropicBody }).provider).toBe('bedrock');
      }),
    );
    expect(REGISTRY.recognise({ path: '/v1/projects/p/locations/l/publishers/anthropic/models/claude:streamRawPredict', chunks: [{ data: { object: 'chat.completion.chunk', choices: [] } }] }).provider).toBe('anthropic');
  });

  it('ranks every claim by strength, ties by list order, and nothing claimed is the fallback', () => {
    fc.assert(
      fc.property(fc.constantFrom(...corpus), fc.shuffledSubarray([...PROTOCOLS]), ({ input }, list) => {
        const e = { path: input.endpoint, chunks: input.chunks, body: input.body, request: input.request };
        const best = createRegistry(list).recognise(e);
        const top = Math.max(0, ...list.map((m) => m.recognise(e)));
        if (top === 0) expect(best).toBe(FALLBACK);
        else expect(best).toBe(list.find((m) => m.recognise(e) === top));
      }),
      { numRuns: 100 },
    );
  });

  it('picks up a module added to the list: recognition, rebuild, summary, trace view, sweep roles, faults and hosts', () => {
    const acme: ProtocolModule = {
      id: 'acme',
      provider: 'unknown',
      label: 'Acme streaming',
      recognise: (e) => (e.chunks?.some((c) => typeof c.data === 'object' && c.data !== null && 'acme' in c.data) ? STRENGTH.body : 0),
      answers: (r) => typeof r === 'object' && r !== null && 'acme_text' in r,
      framing: 'sse',
      reconstruct: (input) => ({ model: 'acme-1', response: { acme_text: input.chunks.map((c) => (c.data as { acme: string }).acme).join('') }, firstContentIndex: 0 }),
      summarize: (r) => ({ text: (r as { acme_text: string }).acme_text, tool_calls: [], finish_reason: null, usage: null }),
      roles: (chunks) => chunks.map(() => ({ content: true })),
      piece: (c) => (typeof c.data === 'object' && c.data !== null && 'acme' in c.data ? { text: (c.data as { acme: string }).acme } : undefined),
      statusBody: (status) => `acme ${status}`,
      hosts: ['api.acme.test'],
    };
    const withAcme = createRegistry([...PROTOCOLS, acme]);
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 8 }), fc.constantFrom(...NEUTRAL_PATHS), (pieces, path) => {
        const chunks = pieces.map((acmeText) => ({ data: { acme: acmeText } }));
        const m = withAcme.recognise({ path, chunks });
        expect(m).toBe(acme);
        expect(REGISTRY.recognise({ path, chunks })).toBe(FALLBACK);
        const rebuilt = m.reconstruct({ endpoint: path, request: null, status: 200, stream: true, chunks });
        expect(withAcme.summarize('unknown', rebuilt.response).text).toBe(pieces.join(''));
        expect(pieces.map((p) => withAcme.chunkPiece({ delta_ms: 0, raw: '', data: { acme: p } }).text ?? '')).toEqual(pieces);
      }),
      { numRuns: 50 },
    );
    expect(withAcme.interceptHosts).toContain('api.acme.test');
    expect(REGISTRY.interceptHosts).not.toContain('api.acme.test');
    // Every existing module keeps its own traffic with the new one in the list.
    for (const { name, input } of corpus) expect([name, withAcme.recognise({ path: input.endpoint, request: input.request, chunks: input.chunks, body: input.body }).provider]).toEqual([name, expectedProvider(name)]);
  });

  it('every module reads its own streams: one role per chunk, and trace view reads each event as that module', () => {
    for (const { name, input } of corpus) {
      if (!input.stream) continue;
      const m = REGISTRY.recognise({ path: input.endpoint, request: input.request, chunks: input.chunks });
      const chunks = input.chunks.map((c) => ({ delta_ms: 0, raw: '', ...c }));
      expect([name, m.roles(chunks).length]).toEqual([name, chunks.length]);
      expect([name, m.roles(chunks).some((r) => r.content)]).toEqual([name, true]);
    }
  });

  it('each default upstream is a `traceforge record` flag with the route\'s origin as its default', () => {
    for (const r of REGISTRY.routes) {
      const flag = RECORD_OPTIONS.find((o) => o.flag === `--${r.name}`);
      expect(flag, `--${r.name}`).toBeDefined();
      expect((flag as { default?: string }).default).toBe(r.origin);
    }
    expect(REGISTRY.routes.map((r) => r.name)).toEqual(['openai', 'anthropic', 'gemini', 'ollama']);
  });
});
