import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEventStreamMessage } from '../../src/stream/eventstream-encoder.js';
import { splitFrames } from '../../src/stream/framing.js';
import { createRedaction, REDACTED } from '../../src/trace/redact.js';
import { createAcrossRedactor, redactAcross } from '../../src/trace/redact-across.js';
import type { TraceChunk } from '../../src/trace/types.js';
import { percentEncoded, unicodeEscaped } from './echo-plan.js';

/**
 * A secret streamed a few characters per event is in no single event, so per-event redaction keeps
 * every piece. These properties build streams the way providers write them, cut the content at random,
 * and check that the content a reader rebuilds, and the raw bytes, no longer hold the secret, while the
 * text around it is kept.
 */

type Shape = 'openai' | 'anthropic' | 'plain' | 'ndjson';
const SHAPES: Shape[] = ['openai', 'anthropic', 'plain', 'ndjson'];

/** One event carrying `piece` as content, written with the given string escaping. */
function event(shape: Shape, piece: string, escape: (s: string) => string): string {
  const str = `"${escape(piece)}"`;
  if (shape === 'openai') return `data: {"id":"c1","choices":[{"index":0,"delta":{"content":${str}}}]}\n\n`;
  if (shape === 'anthropic') return `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":${str}}}\n\n`;
  if (shape === 'ndjson') return `{"message":{"content":${str}},"done":false}\n`;
  // A plain-text data line cannot hold a newline; the arbitraries below keep pieces on one line.
  return `data: ${piece}\n\n`;
}

const jsonEscape = (s: string) => JSON.stringify(s).slice(1, -1);

/** Chunks as the recorder stores them: parsed data (JSON when it parses), raw frame text. */
function chunksOf(shape: Shape, pieces: string[], escape: (s: string) => string): TraceChunk[] {
  const body = new TextEncoder().encode(pieces.map((p) => event(shape, p, escape)).join(''));
  return splitFrames(shape === 'ndjson' ? 'ndjson' : 'sse', body).map((f) => {
    let data: unknown = f.data;
    try {
      // Plain text stays text here: "8 " would parse as the number 8 and lose its space, which is not what this checks.
      if (shape !== 'plain') data = JSON.parse(f.data!);
    } catch {
      // plain text
    }
    const c: TraceChunk = { delta_ms: 0, raw: new TextDecoder().decode(f.raw), data };
    if (f.event !== undefined) c.event = f.event;
    return c;
  });
}

const contentOf = (shape: Shape, c: TraceChunk): string => {
  const d = c.data as any;
  return shape === 'openai' ? d.choices[0].delta.content : shape === 'anthropic' ? d.delta.text : shape === 'ndjson' ? d.message.content : d;
};

/** Cut `text` into pieces of 1..max characters (code points). */
const cutArb = (text: string, max: number) =>
  fc.array(fc.integer({ min: 1, max }), { minLength: [...text].length, maxLength: [...text].length }).map((sizes) => {
    const points = [...text];
    const out: string[] = [];
    for (let i = 0, k = 0; i < points.length; i += sizes[k++]!) out.push(points.slice(i, i + sizes[k]!).join(''));
    return out;
  });

const WORDS = fc.string({ unit: fc.constantFrom(...'abc xyz.,!'.split('')), maxLength: 30 });
const SECRET = fc.string({ unit: fc.constantFrom(...'ABCDEFGHJKmnpqrstuvw23456789_-=/+é'.split('')), minLength: 8, maxLength: 40 }).filter((s) => new Set(s).size >= 4);
const KEY = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split('')), minLength: 20, maxLength: 60 }).map((t) => `sk-proj-${t}`);

const rawJoined = (chunks: TraceChunk[]) => chunks.map((c) => c.raw).join('');
const forms = (s: string) => [s, jsonEscape(s), unicodeEscaped(s), percentEncoded(s)];

describe('a secret split across events', () => {
  it('is gone from the rebuilt content and the raw bytes, the text around it kept (request secrets and key shapes, any cut, any window)', () => {
    fc.assert(
      fc.property(
        fc.record({ before: WORDS, after: WORDS, secret: fc.oneof(SECRET, KEY), fromRequest: fc.boolean(), shape: fc.constantFrom(...SHAPES), unicode: fc.boolean(), window: fc.integer({ min: 100, max: 500 }) }),
        fc.integer({ min: 1, max: 9 }),
        (p, max) => {
          const key = p.secret.startsWith('sk-proj-');
          // A secret the request carried is found exactly; a key shape also when the request did not carry it.
          fc.pre(key || p.fromRequest);
          const text = `${p.before} ${p.secret} ${p.after}`;
          const escape = p.unicode && p.shape !== 'plain' ? unicodeEscaped : jsonEscape;
          const r = createRedaction({}, p.fromRequest ? [p.secret] : []);
          fc.assert(
            fc.property(cutArb(text, max), (pieces) => {
              const whole = redactAcross(chunksOf(p.shape, pieces, escape), r, p.shape === 'ndjson' ? 'ndjson' : 'sse');
              const live = createAcrossRedactor<number>(r, p.shape === 'ndjson' ? 'ndjson' : 'sse', p.window);
              const released: TraceChunk[] = [];
              chunksOf(p.shape, pieces, escape).forEach((c, i) => released.push(...live.push(c, i).map((x) => x.chunk)));
              released.push(...live.end().map((x) => x.chunk));
              for (const chunks of [whole, released]) {
                expect(chunks).toHaveLength(pieces.length);
                const content = chunks.map((c) => contentOf(p.shape, c)).join('');
                expect(content).toBe(text.replace(p.secret, REDACTED));
                for (const f of forms(p.secret)) {
                  expect(content).not.toContain(f);
                  expect(rawJoined(chunks)).not.toContain(f);
                }
                // Every chunk still parses to what its raw bytes say.
                for (const c of chunks) {
                  if (p.shape === 'plain') continue;
                  const line = p.shape === 'ndjson' ? c.raw : c.raw.split('\n').find((l) => l.startsWith('data: '))!.slice(6);
                  expect(JSON.parse(line)).toEqual(c.data);
                }
              }
            }),
            { numRuns: 5 },
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a percent-encoded secret split across events is gone too', () => {
    fc.assert(
      fc.property(SECRET, fc.integer({ min: 1, max: 6 }), (secret, size) => {
        const text = `see https://x.test/?q=${percentEncoded(secret)}&y=1 ok`;
        const pieces = text.match(new RegExp(`[^]{1,${size}}`, 'g'))!;
        const chunks = redactAcross(chunksOf('openai', pieces, jsonEscape), createRedaction({}, [secret]), 'sse');
        const content = chunks.map((c) => contentOf('openai', c)).join('');
        expect(content).toBe(`see https://x.test/?q=${REDACTED}&y=1 ok`);
        expect(rawJoined(chunks)).not.toContain(percentEncoded(secret));
      }),
      { numRuns: 200 },
    );
  });

  it('leaves a stream without secrets byte-identical', () => {
    fc.assert(
      fc.property(WORDS, fc.integer({ min: 1, max: 5 }), fc.constantFrom(...SHAPES), (text, size, shape) => {
        fc.pre(text.length > 0 && (shape !== 'plain' || text.trim() === text));
        const pieces = text.match(new RegExp(`[^]{1,${size}}`, 'g'))!;
        const before = chunksOf(shape, pieces, jsonEscape);
        const after = redactAcross(structuredClone(before), createRedaction({}, ['NotInTheText_123']), shape === 'ndjson' ? 'ndjson' : 'sse');
        expect(after).toEqual(before);
      }),
    );
  });
});

describe('a secret split across AWS event-stream messages', () => {
  it('is gone from every message, and each message still decodes (length and checksums rebuilt)', () => {
    fc.assert(
      fc.property(KEY, fc.integer({ min: 1, max: 9 }), (key, size) => {
        const text = `key: ${key} end`;
        const pieces = text.match(new RegExp(`[^]{1,${size}}`, 'g'))!;
        const chunks: TraceChunk[] = pieces.map((p) => {
          const data = { contentBlockIndex: 0, delta: { text: p } };
          const raw = encodeEventStreamMessage({ ':event-type': 'contentBlockDelta', ':content-type': 'application/json', ':message-type': 'event' }, JSON.stringify(data));
          return { delta_ms: 0, event: 'contentBlockDelta', data, raw: Buffer.from(raw).toString('base64'), raw_encoding: 'base64' };
        });
        redactAcross(chunks, createRedaction(), 'eventstream');
        const codec = new EventStreamCodec(toUtf8, fromUtf8);
        const payloads = chunks.map((c) => {
          const m = codec.decode(Buffer.from(c.raw, 'base64'));
          expect(m.headers[':event-type']?.value).toBe('contentBlockDelta');
          const payload = JSON.parse(toUtf8(m.body));
          expect(payload).toEqual(c.data);
          return payload.delta.text as string;
        });
        expect(payloads.join('')).toBe(`key: ${REDACTED} end`);
      }),
      { numRuns: 100 },
    );
  });
});
