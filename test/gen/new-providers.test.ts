/**
 * `traceforge gen` on the providers issue 12 added: a Bedrock Converse stream (binary AWS event
 * stream) and a Cohere v2 chat stream, both the captured bytes served by a fake upstream and recorded
 * through the real recorder. No SDK template fits them, so gen uses the fetch template; the tests it
 * writes must pass against their cassettes and typecheck under strict settings.
 */
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFromTrace } from '../../src/gen/index.js';
import { pickTemplate } from '../../src/gen/templates.js';
import { startRecorder } from '../../src/record/recorder.js';
import { summarize } from '../../src/trace/reconstruct.js';
import type { Trace } from '../../src/trace/types.js';
import { loadCaptured } from '../providers/captured.js';
import { REPO, run, runVitest } from './vitest-runner.js';

const FIXTURES = ['bedrock-converse', 'cohere-tool-call'] as const;
type Name = (typeof FIXTURES)[number];

let project: string;
let upstream: Server;
const traces = {} as Record<Name, Trace>;
const written = {} as Record<Name, string>;

/** Serve each fixture's body with its recorded headers, at the path it was captured at. */
async function serveFixtures(): Promise<string> {
  const byPath = new Map(FIXTURES.map((n) => [loadCaptured(n).meta.request.path, loadCaptured(n)]));
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const cap = byPath.get(req.url ?? '');
      if (!cap) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(cap.meta.response.status, Object.fromEntries(cap.meta.response.headers));
      // Two reads, cut inside a message, so the recorder's framing has to join them.
      const cut = Math.floor(cap.body.length / 3);
      res.write(cap.body.subarray(0, cut));
      setTimeout(() => res.end(cap.body.subarray(cut)), 5);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
}

beforeAll(async () => {
  await mkdir(join(REPO, '.tmp'), { recursive: true });
  project = await mkdtemp(join(REPO, '.tmp', 'gen-new-providers-'));
  await writeFile(join(project, 'vitest.config.mjs'), "export default { test: { include: ['test/**/*.test.ts'] } };\n");
  const seen: Trace[] = [];
  const rec = await startRecorder({ upstream: await serveFixtures(), onTrace: async (t) => void seen.push(t) });
  try {
    for (const name of FIXTURES) {
      const cap = loadCaptured(name);
      const res = await fetch(`${rec.url}${cap.meta.request.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: cap.meta.request.body });
      await res.arrayBuffer();
      await rec.flush();
      traces[name] = seen.at(-1)!;
    }
  } finally {
    await rec.close();
    await new Promise<void>((r) => upstream.close(() => r()));
  }
  for (const name of FIXTURES) {
    const r = await generateFromTrace(traces[name], { cwd: project });
    written[name] = r.written[0]!;
  }
}, 60_000);
afterAll(() => rm(project, { recursive: true, force: true }));

describe('gen for Bedrock and Cohere traces', () => {
  it('the recorded traces carry the provider, the model and the reconstructed answer', () => {
    const bedrock = traces['bedrock-converse'];
    expect(bedrock.metadata).toMatchObject({ provider: 'bedrock', model: 'us.amazon.nova-micro-v1:0', stream: true });
    expect(bedrock.chunks).toHaveLength(33);
    const b = summarize('bedrock', bedrock.response);
    expect(b.text).toHaveLength(375);
    expect(b).toMatchObject({ finish_reason: 'end_turn', usage: { input_tokens: 13, output_tokens: 82 } });
    const cohere = traces['cohere-tool-call'];
    expect(cohere.metadata).toMatchObject({ provider: 'cohere', model: 'command-r', stream: true });
    expect(summarize('cohere', cohere.response).tool_calls.map((c) => c.name)).toEqual(['weather', 'cityAttractions']);
  });

  it('picks the fetch template for both; unknown providers still get the hint', async () => {
    for (const name of FIXTURES) expect((await pickTemplate(traces[name], project)).name).toBe('fetch');
    const unknown = { ...traces['cohere-tool-call'], metadata: { ...traces['cohere-tool-call'].metadata, provider: 'unknown' as const } };
    await expect(pickTemplate(unknown, project)).rejects.toThrow(/use --template fetch/);
  });

  it('writes tests that read the event stream with the decoder and expect the recorded answer', async () => {
    const bedrock = await readFile(join(project, written['bedrock-converse']), 'utf8');
    expect(bedrock).toContain("import { reconstruct, summarize } from 'traceforge';\nimport { createEventStreamDecoder } from 'traceforge/stream';");
    expect(bedrock).toContain('const messages = createEventStreamDecoder();');
    expect(bedrock).toContain("expect(answer.finish_reason).toBe('end_turn');");
    expect(bedrock).toContain('expect(events).toHaveLength(33);');
    expect(bedrock).not.toContain('parseEvent(');
    const cohere = await readFile(join(project, written['cohere-tool-call']), 'utf8');
    expect(cohere).toContain("import { reconstruct, summarize } from 'traceforge';");
    expect(cohere).toContain('function parseEvent(block: string)');
    expect(cohere).toContain("{ name: 'weather', arguments: { location: 'San Francisco' } }");
    expect(cohere).toContain("expect(answer.finish_reason).toBe('TOOL_CALL');");
  });

  it('the generated tests pass against their cassettes', async () => {
    const r = await runVitest(project);
    expect(r.output).toMatch(/Tests\s+2 passed \(2\)/);
    expect(r.code).toBe(0);
  }, 60_000);

  it('the generated tests typecheck under strict settings', async () => {
    const compilerOptions = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noUnusedLocals: true, noUncheckedIndexedAccess: true, noEmit: true, skipLibCheck: true, types: ['node'] };
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['test'] }));
    const r = await run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', '.'], project);
    expect(r.output).toBe('');
    expect(r.code).toBe(0);
  }, 60_000);
});
