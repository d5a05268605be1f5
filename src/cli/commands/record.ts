import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { colorsFor } from '../color.js';
import { TraceForgeError } from '../../errors.js';
import { ensureCA, DEFAULT_CA_DIR, type LocalCA } from '../../record/ca.js';
import { buildChildEnv, proxyEnvVars } from '../../record/child-env.js';
import { runChild } from '../../record/child-process.js';
import { baseUrlEnv } from '../../trace/providers/registry.js';
import { createProviderRouter, DEFAULT_PROVIDER_HOSTS, parseAllowHost, ROUTED_PROVIDERS, type RoutedProvider } from '../../record/provider-routes.js';
import { startRecorder } from '../../record/recorder.js';
import { cassetteExists, cassetteFsError } from '../../store/cassette-file.js';
import { indexCassette } from '../../store/cassette-index.js';
import { createModalCassette } from '../../store/cassette-modes.js';
import type { InteractionKey } from '../../cassette/match.js';
import { notFromProvider } from '../../cassette/provider-said.js';
import { LOOP_DELAY_WARN_MS } from '../../trace/types.js';
import { createTraceStore } from '../../store/trace-store.js';
import type { CommandContext } from '../command.js';
import type { RecordOptions } from '../command-table.js';
import { describeCall, rel, timingDoubt } from '../format.js';
import { oneLine, shortText } from '../../util/one-line.js';
import { ensureWritableDir } from '../../util/writable-dir.js';

const DEFAULT_PORT = 8787;

/** A flag that may be given several times (`--redact-header`, `--allow-host`...): every value must pass `valid`; `wants` says what it needs. */
function repeated(values: readonly string[], flag: string, valid: (v: string) => boolean, wants: string): string[] {
  return values.map((v) => {
    if (!valid(v)) throw new TraceForgeError('E_USAGE', `${flag} needs ${wants}, got "${v}"`);
    return v;
  });
}

const HEADER_OR_FIELD = (v: string): boolean => /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(v);
const names = (values: readonly string[], flag: string): string[] => repeated(values, flag, HEADER_OR_FIELD, 'a header or field name such as x-internal-token');

/**
 * With routing, only the providers' own HTTPS hosts are intercepted: anything else the app reaches
 * through HTTPS_PROXY (telemetry, package registries) is tunnelled untouched and not recorded.
 * With --upstream every call is the user's to record, so everything is intercepted.
 */
function interceptedHosts(): string[] {
  return ROUTED_PROVIDERS.map((p) => new URL(DEFAULT_PROVIDER_HOSTS[p])).filter((u) => u.protocol === 'https:').map((u) => u.hostname);
}

/**
 * `traceforge record [-- cmd]`: the recording proxy until Ctrl-C, or for as long as `cmd` runs (then its
 * exit code). Our lines go to stdout, or to stderr when `cmd` owns stdout.
 */
export async function run({ opts, rest, debug, io }: CommandContext<RecordOptions>): Promise<number> {
  const upstream = opts.upstream;
  const overrides: Partial<Record<RoutedProvider, URL>> = {};
  for (const p of ROUTED_PROVIDERS) {
    const u = opts[p];
    if (u.toString() !== new URL(DEFAULT_PROVIDER_HOSTS[p]).toString()) overrides[p] = u;
  }
  const overridden = Object.keys(overrides);
  if (upstream && overridden.length > 0) {
    throw new TraceForgeError('E_USAGE', `--upstream sends every call to one place, so --${overridden.join(', --')} would be ignored: pass either --upstream or per-provider URLs`);
  }
  const child = rest.length > 0 ? rest : undefined;
  // With a command to run, a fixed port would only collide with the next run: pick a free one.
  const port = opts.port ?? (child ? 0 : DEFAULT_PORT);
  const cassette = opts.cassette;
  const warn = colorsFor(io.stderr, io.env);
  const redact = { headers: names(opts['redact-header'], '--redact-header'), bodyFields: names(opts['redact-field'], '--redact-field') };
  if (opts.mode && !cassette) throw new TraceForgeError('E_USAGE', `--mode ${opts.mode} says how calls go into a cassette: add --cassette FILE`);
  const mode = opts.mode ?? 'new_episodes';
  let existing: InteractionKey[] = [];
  if (cassette) {
    // Every call is written to it: a path that is a directory or a file that does not parse would fail
    // each write after the call was made, so say so now, before listening.
    // Indexed, not loaded: a cassette of hundreds of megabytes is checked without holding it in memory.
    if (await cassetteExists(cassette)) {
      if (mode === 'once') throw new TraceForgeError('E_USAGE', `cassette ${shortText(cassette)} exists and --mode once records only a new one: pass --mode new_episodes to add the calls it lacks, or --mode all to re-record`);
      const index = await indexCassette(cassette);
      for (const w of index.warnings) io.stderr.write(`${warn.yellow('warning:')} ${w} (the next recorded call repairs the file)\n`);
      existing = [...index.interactions];
    }
    // The cassette's lock file lives next to it, so its directory must exist before the first append.
    await mkdir(dirname(cassette), { recursive: true }).catch((e: unknown) => {
      throw cassetteFsError(cassette, e, 'write');
    });
  }
  const store = createTraceStore(opts.traces);
  // Found now, not when the first recorded call cannot be saved.
  await ensureWritableDir(store.dir, '--traces DIR');
  // In child mode the command owns stdout; our lines go to stderr so its output stays clean.
  const out = child ? io.stderr : io.stdout;
  const pc = colorsFor(out, io.env);
  const ca: LocalCA | undefined = opts['https-proxy'] ? await ensureCA(DEFAULT_CA_DIR) : undefined;
  const allowHosts = repeated(opts['allow-host'], '--allow-host', (v) => parseAllowHost(v) !== undefined, 'HOST or HOST:PORT such as gpu-box:8000');
  const router = createProviderRouter({ upstream, overrides, allowHosts });

  const writes: string[] = [];
  // Calls the recorder answered or cut itself: trace files only (see notFromProvider).
  const keptOut = new Map<string, number>();
  let doubtful = 0;
  let worstDelay = 0;
  // Writes are batched in finishing order; the trace file is written at the same time.
  const queue = cassette ? createModalCassette(cassette, mode === 'all' ? 'all' : 'new_episodes', existing) : undefined;
  const recorder = await startRecorder({
    route: router.route,
    port,
    host: opts.host,
    redact,
    headersTimeoutMs: opts['headers-timeout'],
    debug,
    ...(ca ? { https: { keyPath: ca.keyPath, certPath: ca.certPath, interceptOnly: upstream ? undefined : interceptedHosts() } } : {}),
    onTrace: async (trace) => {
      const leftOut = notFromProvider(trace);
      if (leftOut && queue) keptOut.set(leftOut, (keptOut.get(leftOut) ?? 0) + 1);
      const [path] = await Promise.all([store.save(trace), leftOut ? undefined : queue?.add(trace)]);
      const doubt = timingDoubt(trace);
      if (doubt) {
        doubtful++;
        worstDelay = Math.max(worstDelay, trace.timing!.max_loop_delay_ms);
      }
      out.write(`${trace.metadata.status === 'success' ? pc.green('●') : pc.red('●')} ${describeCall(trace)}  ${pc.dim(rel(path))}${doubt ? `  ${pc.yellow(doubt)}` : ''}\n`);
      writes.push(path);
    },
    onError: (e) => io.stderr.write(`${warn.red('traceforge:')} ${oneLine(e.message)}\n`),
  });
  const summary = (): string =>
    `stopped: ${writes.length} call(s) recorded` +
    (doubtful > 0 ? `; ${doubtful} with timing that may be off by up to ${Math.ceil(worstDelay)} ms (the recorder's event loop was held up over ${LOOP_DELAY_WARN_MS} ms; re-record them on a quieter machine)` : '') +
    (keptOut.size > 0 ? `; left out of the cassette (trace files only): ${[...keptOut].map(([why, n]) => `${n} ${why}`).join(', ')}` : '') +
    (queue ? `; cassette ${cassette} (--mode ${mode}): ${queue.tally.recorded} recorded, ${queue.tally.replaced} replaced, ${queue.tally.kept} already there` : '');

  // Ctrl-C once: stop, letting calls in flight finish. Once stopping has begun, any further Ctrl-C or
  // SIGTERM cuts the calls still in flight (they are saved as partial, outcome recorder_shutdown);
  // calls that already finished are written either way. The process never dies with writes pending.
  let stopping = false;
  let firstSignal: (() => void) | undefined;
  const onSignal = (): void => {
    if (stopping) recorder.cut();
    else firstSignal?.();
  };
  const stopListening = io.onInterrupt(onSignal);

  const vars = proxyEnvVars({ proxyUrl: recorder.url, caCertPath: ca?.certPath });
  const routes = upstream
    ? `  upstream: ${upstream.origin}${upstream.pathname.replace(/\/$/, '')} (every call)\n`
    : `  routes:   ${ROUTED_PROVIDERS.map((p) => `${p} -> ${router.routes[p].toString().replace(/\/$/, '')}`).join(', ')}\n`;
  out.write(
    `${pc.bold('TraceForge recording')} ${recorder.url}\n` +
      routes +
      (ca
        ? `  https:    intercepting HTTPS_PROXY=${recorder.url} with CA ${rel(ca.certPath)}${ca.created ? ' (new)' : ''}; trust it with NODE_EXTRA_CA_CERTS\n` +
          `            ${upstream ? 'every host' : `${interceptedHosts().join(', ')} (other hosts are tunnelled untouched)`}\n`
        : '') +
      `  traces:   ${rel(store.dir)}\n` +
      (cassette ? `  cassette: ${cassette} (--mode ${mode})\n` : '') +
      (child
        ? `  running:  ${child.join(' ')}\n`
        : `  point your app at it: ${Object.keys(baseUrlEnv(''))
            .map((k) => `${k}=${vars[k]}`)
            .join('  ')}\n` +
          (ca ? `  or proxy it: HTTPS_PROXY=${recorder.url} NODE_EXTRA_CA_CERTS=${rel(ca.certPath)}\n` : '') +
          `  stop with Ctrl-C\n`),
  );

  try {
    if (!child) {
      const crashed = await Promise.race([new Promise<undefined>((resolve) => (firstSignal = () => resolve(undefined))), recorder.stopped]);
      stopping = true;
      if (crashed) {
        // Already printed through onError; the calls that had finished are written by close().
        await recorder.close();
        out.write(`${summary()}; the recorder stopped because its proxy thread failed (the error is above)\n`);
        return 1;
      }
      out.write(pc.dim('stopping: waiting for calls in flight (Ctrl-C again to cut them, saved as partial)\n'));
      await recorder.close();
      out.write(`${summary()}\n`);
      return 0;
    }
    let result;
    try {
      // Inside, a useCassette of this cassette records what it lacks (new_episodes, its default there) or, with
      // --mode all, everything again; `once` is new_episodes there, as the cassette did not exist when this began.
      const env = await buildChildEnv({ proxyUrl: recorder.url, caCertPath: ca?.certPath, cassette, cassetteMode: mode === 'all' ? 'all' : undefined, base: io.env });
      result = await runChild(child[0]!, child.slice(1), { env, onInterrupt: (listener) => io.onInterrupt(listener) });
    } finally {
      // Flush every trace before exiting, whatever the command did.
      stopping = true;
      await recorder.close();
    }
    const how = result.signal ? `was stopped by ${result.signal}` : `exited with code ${result.code}`;
    out.write(`${summary()}; \`${child.join(' ')}\` ${how}\n`);
    return result.code;
  } finally {
    stopListening();
  }
}
