import { eventPreview } from '../mcp/message.js';
import type { TraceChunk } from '../trace/types.js';
import { chunkPiece, type ChunkPiece } from '../trace/providers/registry.js';

/**
 * What one stream event adds to the message, whatever the provider: each protocol module reads its own
 * events (see trace/providers/registry.ts chunkPiece), by shape, so a trace whose provider was detected as
 * `unknown` still previews.
 */
export { chunkPiece, type ChunkPiece };

/** A one-line preview for the timeline: the quoted delta, the tool-call piece or the lifecycle label. */
export function chunkPreview(chunk: TraceChunk): string {
  const p = chunkPiece(chunk);
  if (p.text) return JSON.stringify(p.text);
  if (p.tool) return `⚙ ${p.tool.name ?? ''}${p.tool.name ? '(' : ''}${p.tool.args ?? ''}`;
  if (p.reasoning) return `∴ ${JSON.stringify(p.reasoning)}`;
  const mcp = eventPreview(chunk.data);
  if (mcp !== undefined) return mcp;
  return `(${p.label ?? chunk.event ?? 'event'})`;
}

/** Builds the growing message during a replay, one chunk at a time. */
export class MessageBuilder {
  text = '';
  reasoning = '';
  private tools = new Map<number, { name: string; args: string }>();

  push(chunk: TraceChunk): void {
    const p = chunkPiece(chunk);
    if (p.text) this.text += p.text;
    if (p.reasoning) this.reasoning += p.reasoning;
    if (p.tool) {
      const t = this.tools.get(p.tool.index) ?? { name: '', args: '' };
      if (p.tool.name) t.name = p.tool.name;
      if (p.tool.args) t.args += p.tool.args;
      this.tools.set(p.tool.index, t);
    }
  }

  toolCalls(): Array<{ name: string; args: string }> {
    return [...this.tools.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t);
  }
}
