import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringifyTrace } from '../trace/codec.js';
import type { SpilledPieces } from '../trace/spilled.js';
import type { Trace } from '../trace/types.js';
import { tempPathFor } from '../util/atomic-write.js';

const MARK = '\u0000traceforge-spilled\u0000';

/** The trace as `stringifyTrace` would lay it out, with a marker where the spilled pieces go. */
function withMarker(trace: Trace, kind: SpilledPieces['kind']): Trace {
  if (kind === 'chunks') {
    const copy: Record<string, unknown> = {};
    // buildTrace puts `chunks` right before `total_chunks`.
    for (const [k, v] of Object.entries(trace)) {
      if (k === 'total_chunks') copy.chunks = [MARK];
      copy[k] = v;
    }
    if (!('chunks' in copy)) copy.chunks = [MARK];
    return copy as unknown as Trace;
  }
  const http: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(trace.http)) {
    if (k === 'error') http.body = [MARK];
    http[k] = v;
  }
  if (!('body' in http)) http.body = [MARK];
  return { ...trace, http: http as unknown as Trace['http'] };
}

/**
 * Write a trace whose pieces were spilled to disk, streaming them in: the file is byte for byte what
 * `stringifyTrace` gives for the same trace held in memory, and it appears atomically (temp file,
 * fsync, rename), so listing, viewing and loading treat it like any other trace.
 */
export async function writeSpilledTrace(path: string, trace: Trace, pieces: SpilledPieces): Promise<void> {
  const text = stringifyTrace(withMarker(trace, pieces.kind));
  const marker = JSON.stringify(MARK);
  const at = text.indexOf(marker);
  const lineStart = text.lastIndexOf('\n', at) + 1;
  const indent = text.slice(lineStart, at);
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'w', 0o644);
  try {
    let buffer = text.slice(0, lineStart);
    let first = true;
    for await (const piece of pieces.read()) {
      buffer += (first ? '' : ',\n') + JSON.stringify(piece, null, 2).split('\n').map((l) => indent + l).join('\n');
      first = false;
      if (buffer.length > 1 << 20) {
        await fh.write(buffer);
        buffer = '';
      }
    }
    await fh.write(buffer + text.slice(at + marker.length));
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
}
