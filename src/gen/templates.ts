/**
 * Finding test templates: the ones shipped in the package's `templates/` and the project's own in
 * `.ai-tests/templates/`, which override a shipped one of the same name or add new ones.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TraceForgeError } from '../errors.js';
import type { Trace } from '../trace/types.js';
import { readTemplateMeta } from './template-engine.js';
import { statRegularFile } from '../util/regular-file.js';

/** Template files are `<name>.test.ts.tpl`. */
export const TEMPLATE_SUFFIX = '.test.ts.tpl';
/** Shipped with the package (`files` in package.json): `<package>/templates`. */
export const BUILTIN_TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));
/** A project's own templates, relative to its root. */
export const USER_TEMPLATES_DIR = join('.ai-tests', 'templates');

export interface TemplateInfo {
  name: string;
  file: string;
  origin: 'project' | 'built-in';
  text: string;
  /** Providers this template is the default for (`providers:` in its first comment). */
  providers: string[];
  /** Path its SDK appends to the base URL (`path:`); the trace's endpoint must end with it. */
  sdkPath?: string;
}

async function readDir(dir: string, origin: TemplateInfo['origin']): Promise<TemplateInfo[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const found = names.filter((n) => n.endsWith(TEMPLATE_SUFFIX)).map((n) => n.slice(0, -TEMPLATE_SUFFIX.length));
  return Promise.all(found.sort().map((name) => loadTemplate(join(dir, `${name}${TEMPLATE_SUFFIX}`), name, origin)));
}

async function loadTemplate(file: string, name: string, origin: TemplateInfo['origin']): Promise<TemplateInfo> {
  await statRegularFile(file, 'E_GEN', `templates are regular files named <name>${TEMPLATE_SUFFIX}: remove or rename it`);
  const text = await readFile(file, 'utf8');
  const meta = readTemplateMeta(text);
  const info: TemplateInfo = { name, file, origin, text, providers: (meta['providers'] ?? '').split(/[\s,]+/).filter(Boolean) };
  if (meta['path']) info.sdkPath = meta['path'];
  return info;
}

/** Every template a project can use: its own first, then the shipped ones it does not override. */
export async function listTemplates(cwd: string): Promise<TemplateInfo[]> {
  const own = await readDir(join(cwd, USER_TEMPLATES_DIR), 'project');
  const builtin = await readDir(BUILTIN_TEMPLATES_DIR, 'built-in');
  return [...own, ...builtin.filter((b) => !own.some((o) => o.name === b.name))];
}

const names = (list: TemplateInfo[]) => list.map((t) => t.name).join(', ');

function checkFits(t: TemplateInfo, trace: Trace): TemplateInfo {
  if (t.sdkPath && !trace.endpoint.endsWith(t.sdkPath)) {
    throw new TraceForgeError(
      'E_GEN',
      `template "${t.name}" calls ${t.sdkPath}, but trace ${trace.id} was recorded at ${trace.endpoint}: pick another with --template (for example fetch)`,
    );
  }
  return t;
}

/**
 * The template for a trace: the one named by `--template`, else the first that declares the
 * trace's provider. Throws E_GEN naming the choices when there is none.
 */
export async function pickTemplate(trace: Trace, cwd: string, name?: string): Promise<TemplateInfo> {
  const all = await listTemplates(cwd);
  if (name !== undefined) {
    const t = all.find((x) => x.name === name);
    if (!t) {
      throw new TraceForgeError(
        'E_GEN',
        `no template named "${name}": available are ${names(all)}; add your own as ${join(USER_TEMPLATES_DIR, `${name}${TEMPLATE_SUFFIX}`)}`,
      );
    }
    return checkFits(t, trace);
  }
  const provider = trace.metadata.provider;
  const fit = all.find((t) => t.providers.includes(provider) && (!t.sdkPath || trace.endpoint.endsWith(t.sdkPath)));
  if (!fit) {
    throw new TraceForgeError(
      'E_GEN',
      `no template fits trace ${trace.id} (${provider === 'unknown' ? 'an unknown provider' : provider} at ${trace.http.method} ${trace.endpoint}): use --template fetch for a plain HTTP test`,
    );
  }
  return fit;
}
