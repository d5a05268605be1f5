/**
 * `traceforge gen`: turn one recorded trace into a cassette fixture plus a vitest file that replays
 * it through the provider's SDK and asserts on what comes back.
 */
import { join, relative, resolve, sep } from 'node:path';
import { parseCassette, stringifyCassette, CASSETTE_VERSION } from '../cassette/codec.js';
import { TraceForgeError } from '../errors.js';
import type { Trace } from '../trace/types.js';
import { expectationsFor } from './expectations.js';
import { relativeUrl, resolveInProject, writeAllOrNothing } from './output.js';
import { slugForTrace } from './slug.js';
import { renderTemplate } from './template-engine.js';
import { pickTemplate, TEMPLATE_SUFFIX, type TemplateInfo } from './templates.js';
import { buildView, type GenClock, type Timing } from './view.js';

export { listTemplates, BUILTIN_TEMPLATES_DIR, USER_TEMPLATES_DIR, TEMPLATE_SUFFIX, type TemplateInfo } from './templates.js';
export type { GenClock, Timing } from './view.js';

export interface GenerateOptions {
  /** Project root: default paths are relative to it and nothing is written outside it. Default `process.cwd()`. */
  cwd?: string;
  /** Test file to write. Default `test/<slug>.test.ts`. */
  out?: string;
  /** Cassette to write. Default `fixtures/<slug>.yaml`. */
  cassette?: string;
  /** Template name (project templates first, then built-in). Default: the one for the trace's provider. */
  template?: string;
  /** `recorded` replays at recorded pace and asserts the first and last chunk's times; `instant` (default) replays at once. */
  timing?: Timing;
  /**
   * The clock of a `recorded` test. `virtual` (default): `useCassette(fixture, { clock: 'virtual' })`, the
   * recorded times asserted to 0.01 ms, which no machine load can bend. `wall`: real-time replay
   * (`speed: 1`) with tolerances; a failure on a machine too busy for that says so.
   */
  clock?: GenClock;
  /** Overwrite existing files. */
  force?: boolean;
}

export interface GenerateResult {
  /** Absolute paths. */
  testPath: string;
  cassettePath: string;
  /** What was written, relative to `cwd`: the test file, then the cassette. */
  written: string[];
  template: Pick<TemplateInfo, 'name' | 'origin' | 'file'>;
  /** The command that runs the new test, e.g. `npx vitest run test/say-hello.test.ts`. */
  command: string;
}

const TEST_FILE = /\.(test|spec)\.m?ts$/;
const YAML_FILE = /\.ya?ml$/;

/** Only a complete, successful stream with a JSON request makes a meaningful replay test. */
function checkTrace(trace: Trace): void {
  const call = `${trace.http.method} ${trace.endpoint}`;
  if (!trace.metadata.stream) {
    throw new TraceForgeError('E_GEN', `trace ${trace.id} (${call}) is not a streamed call: gen writes tests for streams; record one with "stream": true`);
  }
  if (trace.http.outcome !== 'complete' || trace.http.status >= 400) {
    const how = trace.http.outcome === 'complete' ? `HTTP ${trace.http.status}` : trace.http.outcome.replace('_', ' ');
    throw new TraceForgeError('E_GEN', `trace ${trace.id} (${call}) did not complete (${how}): gen writes tests for successful streams; pick another trace from \`traceforge trace list\``);
  }
  if (trace.request === null || typeof trace.request !== 'object') {
    throw new TraceForgeError('E_GEN', `trace ${trace.id} (${call}) has no JSON request body to send again: gen needs one`);
  }
}

const posix = (p: string) => p.split(sep).join('/');

/**
 * Write `fixtures/<slug>.yaml` and `test/<slug>.test.ts` for a trace, all or nothing.
 *
 * @example
 * const trace = await createTraceStore().load('3f2a9c');
 * const { written, command } = await generateFromTrace(trace, { timing: 'recorded' });
 * // written: ['test/what-is-the-capital-of-france.test.ts', 'fixtures/what-is-the-capital-of-france.yaml']
 */
export async function generateFromTrace(trace: Trace, options: GenerateOptions = {}): Promise<GenerateResult> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const timing = options.timing ?? 'instant';
  const clock = options.clock ?? 'virtual';
  checkTrace(trace);
  const template = await pickTemplate(trace, cwd, options.template);
  const slug = slugForTrace(trace);
  const outArg = options.out ?? join('test', `${slug}.test.ts`);
  const cassetteArg = options.cassette ?? join('fixtures', `${slug}.yaml`);
  if (!TEST_FILE.test(outArg)) throw new TraceForgeError('E_GEN', `--out ${outArg} should end in .test.ts so vitest picks it up`);
  if (!YAML_FILE.test(cassetteArg)) throw new TraceForgeError('E_GEN', `--cassette ${cassetteArg} should end in .yaml`);
  const testPath = await resolveInProject(cwd, outArg, '--out');
  const cassettePath = await resolveInProject(cwd, cassetteArg, '--cassette');
  if (testPath === cassettePath) throw new TraceForgeError('E_GEN', `--out and --cassette are the same file (${outArg})`);

  const cassetteText = stringifyCassette({ version: CASSETTE_VERSION, interactions: [trace] });
  // Refuse to write a cassette that would not load back.
  parseCassette(cassetteText, relative(cwd, cassettePath));
  const view = buildView({ trace, expect: expectationsFor(trace), cassetteUrl: relativeUrl(testPath, cassettePath), timing, clock, sdkPath: template.sdkPath });
  const testText = renderTemplate(template.text, view, template.origin === 'built-in' ? `templates/${template.name}${TEMPLATE_SUFFIX}` : relative(cwd, template.file));

  await writeAllOrNothing(
    cwd,
    [
      { path: testPath, text: testText, flag: '--out' },
      { path: cassettePath, text: cassetteText, flag: '--cassette' },
    ],
    options.force === true,
  );
  const written = [testPath, cassettePath].map((p) => posix(relative(cwd, p)));
  return {
    testPath,
    cassettePath,
    written,
    template: { name: template.name, origin: template.origin, file: template.file },
    command: `npx vitest run ${written[0]}`,
  };
}
