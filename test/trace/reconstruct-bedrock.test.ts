/**
 * Bedrock reconstruction: the captured Converse stream (decoded with the AWS SDK's event-stream codec),
 * synthetic Converse streams with tool use, reasoning and an exception, InvokeModelWithResponseStream
 * carrying Anthropic events or Nova's Converse-shaped events as base64 `bytes`, and the official
 * `@aws-sdk/client-bedrock-runtime` reading the same bytes and our rebuilt response.
 */
import { createServer, type Server } from 'node:http';
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, InvokeModelWithResponseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { detectProvider, reconstruct, summarize, type StreamChunk } from '../../src/trace/reconstruct.js';
import { eventStreamChunks, loadCaptured } from '../providers/captured.js';

const CONVERSE = '/model/us.amazon.nova-micro-v1%3A0/converse-stream';
const INVOKE = '/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke-with-response-stream';
const converse = (chunks: StreamChunk[], status = 200) => reconstruct({ endpoint: CONVERSE, request: null, status, stream: true, chunks });
const b64 = (v: unknown) => ({ event: 'chunk', data: { bytes: Buffer.from(JSON.stringify(v)).toString('base64') } });

describe('Bedrock detection', () => {
  it('detects the four runtime paths; the model comes from the path, URL-decoded', () => {
    for (const op of ['converse-stream', 'converse', 'invoke-with-response-stream', 'invoke']) {
      expect(detectProvider(`/model/us.amazon.nova-micro-v1%3A0/${op}`)).toBe('bedrock');
      expect(reconstruct({ endpoint: `/model/us.amazon.nova-micro-v1%3A0/${op}`, request: null, status: 200, stream: false, chunks: [], body: {} }).model).toBe('us.amazon.nova-micro-v1:0');
    }
    expect(detectProvider('/model/x/list')).toBe('unknown');
    expect(detectProvider('/v1/models/x')).not.toBe('bedrock');
  });
});

describe('Bedrock Converse stream', () => {
  it('the captured nova-micro stream: 375 characters, end_turn, usage 13/82, metrics kept, padding dropped', () => {
    const cap = loadCaptured('bedrock-converse');
    expect(cap.input.chunks).toHaveLength(33);
    const rec = reconstruct(cap.input);
    expect(rec.provider).toBe('bedrock');
    expect(rec.model).toBe('us.amazon.nova-micro-v1:0');
    expect(rec.error).toBeUndefined();
    expect(rec.firstContentIndex).toBe(1);
    const r = rec.response as any;
    expect(r.output.message.role).toBe('assistant');
    expect(r.output.message.content).toHaveLength(1);
    expect(r.output.message.content[0].text).toHaveLength(375);
    expect(r.output.message.content[0].text.startsWith('The capital of France is Paris.')).toBe(true);
    expect(r.stopReason).toBe('end_turn');
    expect(r.usage).toMatchObject({ inputTokens: 13, outputTokens: 82, totalTokens: 95 });
    expect(r.metrics).toEqual({ latencyMs: 522 });
    expect(JSON.stringify(r)).not.toContain('"p":');
    const s = summarize('bedrock', r);
    expect(s).toMatchObject({ finish_reason: 'end_turn', usage: { input_tokens: 13, output_tokens: 82, total_tokens: 95 }, tool_calls: [] });
    expect(s.text).toHaveLength(375);
  });

  it('tool use: name and id from contentBlockStart, the input JSON text joined over any split and parsed', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 40 }), { maxLength: 6 }), (cuts) => {
        const input = '{"city":"Paris","units":["c","f"]}';
        const at = [...new Set(cuts.map((c) => c % input.length))].sort((a, b) => a - b);
        const parts = [...at, input.length].map((c, i, all) => input.slice(i === 0 ? 0 : all[i - 1], c));
        const chunks: StreamChunk[] = [
          { event: 'messageStart', data: { role: 'assistant' } },
          { event: 'contentBlockDelta', data: { contentBlockIndex: 0, delta: { text: 'Checking.' } } },
          { event: 'contentBlockStop', data: { contentBlockIndex: 0 } },
          { event: 'contentBlockStart', data: { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tooluse_1', name: 'get_weather' } } } },
          ...parts.map((p) => ({ event: 'contentBlockDelta', data: { contentBlockIndex: 1, delta: { toolUse: { input: p } } } })),
          { event: 'contentBlockStop', data: { contentBlockIndex: 1 } },
          { event: 'messageStop', data: { stopReason: 'tool_use' } },
          { event: 'metadata', data: { usage: { inputTokens: 5, outputTokens: 7, totalTokens: 12 }, metrics: { latencyMs: 9 } } },
        ];
        const rec = converse(chunks);
        expect(rec.response).toEqual({
          output: { message: { role: 'assistant', content: [{ text: 'Checking.' }, { toolUse: { toolUseId: 'tooluse_1', name: 'get_weather', input: { city: 'Paris', units: ['c', 'f'] } } }] } },
          stopReason: 'tool_use',
          usage: { inputTokens: 5, outputTokens: 7, totalTokens: 12 },
          metrics: { latencyMs: 9 },
        });
        expect(summarize('bedrock', rec.response)).toEqual({
          text: 'Checking.',
          tool_calls: [{ id: 'tooluse_1', name: 'get_weather', arguments: { city: 'Paris', units: ['c', 'f'] } }],
          finish_reason: 'tool_use',
          usage: { input_tokens: 5, output_tokens: 7, total_tokens: 12 },
        });
      }),
    );
  });

  it('reasoning deltas become reasoningContent.reasoningText with its signature, and the summary reasoning', () => {
    const rec = converse([
      { event: 'messageStart', data: { role: 'assistant' } },
      { event: 'contentBlockDelta', data: { contentBlockIndex: 0, delta: { reasoningContent: { text: 'Think ' } } } },
      { event: 'contentBlockDelta', data: { contentBlockIndex: 0, delta: { reasoningContent: { text: 'hard.' } } } },
      { event: 'contentBlockDelta', data: { contentBlockIndex: 0, delta: { reasoningContent: { signature: 'sig' } } } },
      { event: 'contentBlockStop', data: { contentBlockIndex: 0 } },
      { event: 'contentBlockDelta', data: { contentBlockIndex: 1, delta: { text: 'Done.' } } },
      { event: 'messageStop', data: { stopReason: 'end_turn' } },
    ]);
    const r = rec.response as any;
    expect(r.output.message.content).toEqual([{ reasoningContent: { reasoningText: { text: 'Think hard.', signature: 'sig' } } }, { text: 'Done.' }]);
    expect(rec.firstContentIndex).toBe(1);
    expect(summarize('bedrock', r)).toMatchObject({ text: 'Done.', reasoning: 'Think hard.', finish_reason: 'end_turn' });
  });

  it('an exception message is the trace error; what came before it is kept', () => {
    const rec = converse([
      { event: 'messageStart', data: { role: 'assistant' } },
      { event: 'contentBlockDelta', data: { contentBlockIndex: 0, delta: { text: 'Hal' } } },
      { event: 'throttlingException', data: { message: 'Too many requests, please wait before trying again.' } },
    ]);
    expect(rec.error).toBe('throttlingException: Too many requests, please wait before trying again.');
    expect(summarize('bedrock', rec.response).text).toBe('Hal');
  });

  it('a non-stream InvokeModel answer from Claude is summarised as an Anthropic message', () => {
    const body = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-3-5-haiku-20241022', content: [{ type: 'text', text: 'Hi.' }], stop_reason: 'end_turn', usage: { input_tokens: 4, output_tokens: 2 } };
    const rec = reconstruct({ endpoint: '/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke', request: null, status: 200, stream: false, chunks: [], body });
    expect(rec.model).toBe('anthropic.claude-3-5-haiku-20241022-v1:0');
    expect(summarize('bedrock', rec.response)).toEqual({ text: 'Hi.', tool_calls: [], finish_reason: 'end_turn', usage: { input_tokens: 4, output_tokens: 2, total_tokens: 6 } });
  });

  it('a non-stream Converse error body reports its message with the status', () => {
    const rec = reconstruct({ endpoint: '/model/m/converse', request: null, status: 400, stream: false, chunks: [], body: { message: 'The provided model identifier is invalid.' } });
    expect(rec.error).toBe('HTTP 400: The provided model identifier is invalid.');
  });
});

const anthropicEvents = [
  { type: 'message_start', message: { id: 'msg_bdrk_1', type: 'message', role: 'assistant', model: 'claude-3-5-haiku-20241022', content: [], stop_reason: null, usage: { input_tokens: 12, output_tokens: 1 } } },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Let me ' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'check.' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} } },
  { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":' } },
  { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"Oslo"}' } },
  { type: 'content_block_stop', index: 1 },
  { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 30 } },
  { type: 'message_stop', 'amazon-bedrock-invocationMetrics': { inputTokenCount: 12, outputTokenCount: 30, invocationLatency: 900, firstByteLatency: 300 } },
];

describe('Bedrock InvokeModelWithResponseStream', () => {

  it('Anthropic-on-Bedrock: base64 events rebuild through the Anthropic reconstructor; the model is the path one', () => {
    const rec = reconstruct({ endpoint: INVOKE, request: { anthropic_version: 'bedrock-2023-05-31', max_tokens: 100, messages: [] }, status: 200, stream: true, chunks: anthropicEvents.map(b64) });
    expect(rec.provider).toBe('bedrock');
    expect(rec.model).toBe('anthropic.claude-3-5-haiku-20241022-v1:0');
    expect(rec.error).toBeUndefined();
    expect(rec.firstContentIndex).toBe(2);
    expect(rec.response).toMatchObject({
      id: 'msg_bdrk_1',
      type: 'message',
      content: [
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } },
      ],
      stop_reason: 'tool_use',
      usage: { input_tokens: 12, output_tokens: 30 },
    });
    expect(summarize('bedrock', rec.response)).toEqual({
      text: 'Let me check.',
      tool_calls: [{ id: 'toolu_1', name: 'get_weather', arguments: { city: 'Oslo' } }],
      finish_reason: 'tool_use',
      usage: { input_tokens: 12, output_tokens: 30, total_tokens: 42 },
    });
  });

  it('Nova through InvokeModel: Converse-shaped inner events rebuild into the Converse response', () => {
    const events = [
      { messageStart: { role: 'assistant' } },
      { contentBlockDelta: { delta: { text: 'Bonjour' }, contentBlockIndex: 0 } },
      { contentBlockDelta: { delta: { text: ' !' }, contentBlockIndex: 0 } },
      { contentBlockStop: { contentBlockIndex: 0 } },
      { messageStop: { stopReason: 'end_turn' } },
      { metadata: { usage: { inputTokens: 3, outputTokens: 4 } }, 'amazon-bedrock-invocationMetrics': { inputTokenCount: 3 } },
    ];
    const rec = reconstruct({ endpoint: '/model/amazon.nova-lite-v1%3A0/invoke-with-response-stream', request: null, status: 200, stream: true, chunks: events.map(b64) });
    expect(rec.firstContentIndex).toBe(1);
    expect(summarize('bedrock', rec.response)).toEqual({ text: 'Bonjour !', tool_calls: [], finish_reason: 'end_turn', usage: { input_tokens: 3, output_tokens: 4, total_tokens: 7 } });
  });

  it('other models keep the list of decoded events; an exception is the error', () => {
    const rec = reconstruct({
      endpoint: '/model/meta.llama3-8b-instruct-v1%3A0/invoke-with-response-stream',
      request: null,
      status: 200,
      stream: true,
      chunks: [b64({ generation: 'Hi', stop_reason: null }), { event: 'modelStreamErrorException', data: { message: 'boom' } }],
    });
    expect(rec.response).toEqual([{ generation: 'Hi', stop_reason: null }, { message: 'boom' }]);
    expect(rec.error).toBe('modelStreamErrorException: boom');
  });
});

describe('the official Bedrock SDK on the same bytes', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));
  async function serve(respond: () => { type: string; body: Buffer | string }): Promise<BedrockRuntimeClient> {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const { type, body } = respond();
        res.writeHead(200, { 'content-type': type });
        res.end(body);
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as { port: number };
    // The SDK's default handler speaks HTTP/2 to this client; the fake is HTTP/1.1.
    return new BedrockRuntimeClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, requestHandler: new NodeHttpHandler(), credentials: { accessKeyId: 'AKIDFAKEFAKEFAKE', secretAccessKey: 'fake' } });
  }

  it('ConverseStream yields the same events we decode; assembled from them they give our text, stop reason and usage', async () => {
    const cap = loadCaptured('bedrock-converse');
    const client = await serve(() => ({ type: 'application/vnd.amazon.eventstream', body: cap.body }));
    const out = await client.send(new ConverseStreamCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
    let text = '';
    let stop: string | undefined;
    let usage: unknown;
    const names: string[] = [];
    for await (const e of out.stream!) {
      names.push(Object.keys(e).find((k) => (e as unknown as Record<string, unknown>)[k] !== undefined)!);
      text += e.contentBlockDelta?.delta?.text ?? '';
      stop = e.messageStop?.stopReason ?? stop;
      usage = e.metadata?.usage ?? usage;
    }
    expect(names).toEqual(cap.input.chunks.map((c) => c.event));
    const ours = summarize('bedrock', reconstruct(cap.input).response);
    expect(ours.text).toBe(text);
    expect(ours.finish_reason).toBe(stop);
    expect(usage).toEqual({ inputTokens: ours.usage!.input_tokens, outputTokens: ours.usage!.output_tokens, totalTokens: ours.usage!.total_tokens });
  });

  it('Converse (non-stream) reads our rebuilt response as a valid Converse response', async () => {
    const chunks: StreamChunk[] = [
      { event: 'messageStart', data: { role: 'assistant' } },
      { event: 'contentBlockDelta', data: { contentBlockIndex: 0, delta: { reasoningContent: { text: 'Hmm.' } } } },
      { event: 'contentBlockDelta', data: { contentBlockIndex: 0, delta: { reasoningContent: { signature: 'c2ln' } } } },
      { event: 'contentBlockDelta', data: { contentBlockIndex: 1, delta: { text: 'Looking.' } } },
      { event: 'contentBlockStart', data: { contentBlockIndex: 2, start: { toolUse: { toolUseId: 't1', name: 'lookup' } } } },
      { event: 'contentBlockDelta', data: { contentBlockIndex: 2, delta: { toolUse: { input: '{"q":"x"}' } } } },
      { event: 'contentBlockStop', data: { contentBlockIndex: 2 } },
      { event: 'messageStop', data: { stopReason: 'tool_use' } },
      { event: 'metadata', data: { usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 }, metrics: { latencyMs: 4 } } },
    ];
    const ours = converse(chunks).response as any;
    const client = await serve(() => ({ type: 'application/json', body: JSON.stringify(ours) }));
    const sdk = await client.send(new ConverseCommand({ modelId: 'm', messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
    expect({ output: sdk.output, stopReason: sdk.stopReason, usage: sdk.usage, metrics: sdk.metrics }).toEqual(ours);
  });

  it('InvokeModelWithResponseStream: the SDK unwraps the same Anthropic events from the wire bytes that we do', async () => {
    // The wire form: one event-stream message per event, `:event-type: chunk`, payload {"bytes": base64}.
    const codec = new EventStreamCodec(toUtf8, fromUtf8);
    const str = (value: string) => ({ type: 'string' as const, value });
    const body = Buffer.concat(
      anthropicEvents.map((e) =>
        codec.encode({
          headers: { ':event-type': str('chunk'), ':message-type': str('event'), ':content-type': str('application/json') },
          body: fromUtf8(JSON.stringify({ bytes: Buffer.from(JSON.stringify(e)).toString('base64') })),
        }),
      ),
    );
    const client = await serve(() => ({ type: 'application/vnd.amazon.eventstream', body }));
    const out = await client.send(new InvokeModelWithResponseStreamCommand({ modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0', body: JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 100, messages: [] }) }));
    const sdkEvents: unknown[] = [];
    for await (const e of out.body!) if (e.chunk?.bytes) sdkEvents.push(JSON.parse(toUtf8(e.chunk.bytes)));
    expect(sdkEvents).toEqual(anthropicEvents);
    const ours = reconstruct({ endpoint: INVOKE, request: null, status: 200, stream: true, chunks: eventStreamChunks(body) });
    const direct = reconstruct({ endpoint: '/v1/messages', request: null, status: 200, stream: true, chunks: sdkEvents.map((data) => ({ event: (data as { type: string }).type, data })) });
    expect(ours.response).toEqual(direct.response);
    expect(ours.firstContentIndex).toBe(direct.firstContentIndex);
  });
});
