import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './blocks.js';
import { BIN, commandOf, helpFlags, run, startUntil, traceforge, userEnv, type RunResult } from './run.js';
import { flagsOf, splitChild, type DocCommand } from './shell.js';

/**
 * How one command from the docs is checked, strongest first:
 * - run: executed in a prepared temp project, must exit 0 (or as the doc says);
 * - serve: a server started, sent a request, stopped with SIGINT, must exit 0;
 * - flags: every flag it uses is one `traceforge <command> --help` lists (it needs the real provider
 *   or runs for minutes);
 * - script: `npm test`/`npm run X` exist in this repo's package.json, `npm ci` has a lockfile and a
 *   `prepare` that builds, `npm i -D NAME` names this package; none is run (the suite is what runs them,
 *   and an install needs the registry);
 * - app: the user's own program with no proxy to talk to (`HTTPS_PROXY=... node app.js`); not run.
 */
export type Strength = 'run' | 'serve' | 'flags' | 'script' | 'app';

export interface Plan {
  cmd: DocCommand;
  strength: Strength;
  /** What the test name says about it. */
  label: string;
}

const PROVIDER_FLAGS = ['--upstream', '--openai', '--anthropic', '--gemini', '--ollama'];

export function planCommand(cmd: DocCommand, rest: DocCommand[]): Plan {
  const [prog, ...args] = cmd.argv;
  const short = cmd.argv.slice(0, 3).join(' ');
  if (prog === 'traceforge') {
    const sub = commandOf(args)[0];
    if (sub === 'record' && splitChild(args).child === null) return { cmd, strength: 'serve', label: `serves ${short}` };
    if (sub === 'replay') return { cmd, strength: 'serve', label: `serves ${short}` };
    if (sub === 'sweep') return { cmd, strength: 'flags', label: `flags of ${short} (a sweep runs for minutes)` };
    return { cmd, strength: 'run', label: `runs ${short}` };
  }
  if (prog === 'vitest') {
    const env = Object.entries(cmd.env).map(([k, v]) => `${k}=${v}`).join(' ');
    const recorded = cmd.env.TRACEFORGE_RECORD ? ' from the local upstream' : '';
    const same = (c: DocCommand) => JSON.stringify([c.argv, { ...c.env, TRACEFORGE_UPSTREAM: '' }]);
    const earlier = rest.slice(0, rest.indexOf(cmd)).some((c) => c.argv[0] === 'vitest' && same(c) === same(cmd));
    return { cmd, strength: 'run', label: earlier ? `${env} vitest is the run before (hosts replaced)` : `runs ${env} vitest${recorded}` };
  }
  if (prog === 'npm') return { cmd, strength: 'script', label: `${short} exists` };
  if (prog === 'node' && cmd.env.OPENAI_BASE_URL && rest.some((c) => c.argv[0] === 'traceforge' && c.argv[1] === 'record'))
    return { cmd, strength: 'run', label: `runs ${short} against the recorder` };
  return { cmd, strength: 'app', label: `${short} is the user's app` };
}

export interface Context {
  /** The project directory to run in. */
  dir: string;
  /** The local stand-in for the providers' hosts. */
  upstream: string;
  /** `node_modules/.bin` of the workspace. */
  bin: string;
  /** For `<id>`, `<a>`, `<b>`: trace ids present in `dir`. */
  ids: string[];
  /** The block starts with `npm ci`: its commands are typed in a clone of this repository. */
  inClone?: boolean;
  /** The recorder or replay server a previous command of the block started. */
  server?: { url: string };
}

function fail(where: string, cmd: DocCommand, why: string, r?: RunResult): never {
  const out = r ? `\n--- exit ${r.code ?? r.signal}, stdout:\n${r.stdout.slice(-3000)}\n--- stderr:\n${r.stderr.slice(-3000)}` : '';
  throw new Error(`${where}: \`${cmd.text}\`: ${why}${out}`);
}

/** Every flag the command uses exists for it. */
export async function checkFlags(where: string, cmd: DocCommand): Promise<void> {
  const { own } = splitChild(cmd.argv.slice(1));
  const command = commandOf(own);
  const known = await helpFlags(command);
  const unknown = flagsOf(own).filter((f) => !known.has(f));
  if (unknown.length > 0) fail(where, cmd, `traceforge ${command.join(' ')} has no ${unknown.join(', ')} (its --help lists ${[...known].join(' ')})`);
}

const LOCAL = /^https?:\/\/(127\.0\.0\.1|localhost)(:|\/|$)/;

/** The command as it runs offline: placeholders filled, provider hosts and fixed ports replaced. */
export function offlineArgs(args: string[], ctx: Context): string[] {
  const out = args.map((a) => a.replace(/^<(id|a)>$/, ctx.ids[0] ?? a).replace(/^<b>$/, ctx.ids[1] ?? a));
  const sub = commandOf(out)[0];
  const { own, child } = splitChild(out);
  if (sub === 'record' || sub === 'replay') {
    for (let i = 0; i < own.length - 1; i++) {
      if (PROVIDER_FLAGS.includes(own[i]!) && !LOCAL.test(own[i + 1]!)) own[i + 1] = ctx.upstream;
      if (own[i] === '--port') own[i + 1] = '0';
    }
    if (sub === 'record' && !own.some((a) => PROVIDER_FLAGS.includes(a))) own.push('--openai', ctx.upstream);
    if (!own.includes('--port') && child === null) own.push('--port', '0');
  }
  return child === null ? own : [...own, '--', ...child];
}

export function envFor(cmd: DocCommand, ctx: Context): NodeJS.ProcessEnv {
  // A developer who records has a key in the environment; CI has none (the docs say so), so it gets none.
  const env: Record<string, string> = cmd.env.CI ? {} : { OPENAI_API_KEY: 'sk-docs-test-key-000000000000' };
  for (const [k, v] of Object.entries(cmd.env)) {
    if (k === 'TRACEFORGE_UPSTREAM') env[k] = ctx.upstream;
    else if (/127\.0\.0\.1:\d+/.test(v) && ctx.server) env[k] = v.replace(/http:\/\/127\.0\.0\.1:\d+/, ctx.server.url);
    else env[k] = v;
  }
  // Recording from "the real hosts": here, from the local upstream.
  if (env.TRACEFORGE_RECORD && !env.TRACEFORGE_UPSTREAM) env.TRACEFORGE_UPSTREAM = ctx.upstream;
  return userEnv(env, ctx.bin);
}

async function serve(where: string, cmd: DocCommand, ctx: Context, then: () => Promise<void>): Promise<void> {
  const args = offlineArgs(cmd.argv.slice(1), ctx);
  const s = startUntil([process.execPath, BIN, ...args], ctx.dir, envFor(cmd, ctx), /stop with Ctrl-C/);
  try {
    const out = await s.started;
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(out)![0];
    ctx.server = { url };
    // One call through it: recorded from the upstream, or answered from the cassette.
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-docs-test-key-000000000000' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Say it' }] }),
    });
    await res.text();
    if (!args.includes('--fault') && res.status !== 200) fail(where, cmd, `a streamed call through it got HTTP ${res.status}`);
    await then();
  } finally {
    s.child.kill('SIGINT');
  }
  const end = await s.exited;
  if (end.code !== 0) fail(where, cmd, `exited ${end.code ?? end.signal} after SIGINT:\n${end.out}`);
}

/** Check one command; `next` runs the commands after it (a server stays up while they run). */
export async function runCommand(where: string, plan: Plan, ctx: Context, next: () => Promise<void>): Promise<void> {
  const { cmd } = plan;
  const [prog, ...args] = cmd.argv;
  if (prog === 'traceforge') await checkFlags(where, cmd);
  switch (plan.strength) {
    case 'flags':
    case 'app':
      return next();
    case 'script': {
      // `npm ci`, `npm test`, `npm run X` are the TraceForge repo's own (a fresh clone); `npm i -D traceforge` a user's.
      const [verb, script] = args;
      const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; scripts?: Record<string, string> };
      if (verb === 'ci') {
        if (!existsSync(join(ROOT, 'package-lock.json'))) fail(where, cmd, 'npm ci needs a package-lock.json');
        if (!pkg.scripts?.prepare) fail(where, cmd, 'npm ci is said to build dist/, but there is no "prepare" script');
      } else if (verb === 'i' || verb === 'install') {
        const name = args.slice(1).find((a) => !a.startsWith('-'));
        if (name && name !== pkg.name) fail(where, cmd, `the package is called ${pkg.name}`);
      } else {
        const name = verb === 'run' ? script! : verb!;
        if (!pkg.scripts?.[name]) fail(where, cmd, `package.json has no "${name}" script`);
      }
      return next();
    }
    case 'serve':
      return serve(where, cmd, ctx, next);
    case 'run': {
      let r: RunResult;
      if (prog === 'traceforge' && cmd.npx && ctx.inClone) {
        // After `npm ci` in a clone, `npx traceforge` is the clone's own bin (npm runs the project's bin by name).
        const own = await run(['npx', '--no-install', 'traceforge', '--version'], ROOT, userEnv());
        if (own.code !== 0) fail(where, cmd, 'npx does not find the traceforge bin in the repository', own);
      }
      if (prog === 'traceforge') r = await traceforge(offlineArgs(args, ctx), ctx.dir, envFor(cmd, ctx));
      else if (prog === 'vitest') r = await run([process.execPath, join(ctx.bin, '..', 'vitest', 'vitest.mjs'), ...args], ctx.dir, envFor(cmd, ctx), 60_000);
      else r = await run(cmd.argv, ctx.dir, envFor(cmd, ctx));
      if (r.code !== 0) fail(where, cmd, 'failed', r);
      // The README says what the demo reports.
      if (args[0] === 'demo' && !/body: byte-identical/.test(r.stdout)) fail(where, cmd, 'the demo did not report a byte-identical replay', r);
      return next();
    }
  }
}

/** Run a block's commands in order, each server kept up while the later commands run. */
export async function runCommands(where: (offset: number) => string, plans: Plan[], ctx: Context): Promise<void> {
  const done = new Set<string>();
  ctx.inClone = plans.some((p) => p.cmd.argv[0] === 'npm' && p.cmd.argv[1] === 'ci');
  const step = async (i: number): Promise<void> => {
    if (i >= plans.length) return;
    const { cmd } = plans[i]!;
    // `TRACEFORGE_RECORD=once vitest` records from the real hosts, here the local upstream: the same run as
    // the line that names that upstream, so it runs once.
    const key = JSON.stringify([cmd.argv[0] === 'traceforge' ? offlineArgs(cmd.argv.slice(1), ctx) : cmd.argv, envFor(cmd, ctx)]);
    if (plans[i]!.strength === 'run' && done.has(key)) return step(i + 1);
    done.add(key);
    await runCommand(where(cmd.offset + 1), plans[i]!, ctx, () => step(i + 1));
  };
  await step(0);
}
