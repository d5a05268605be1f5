/**
 * Every stream in fixtures/third-party-streams (captured by pydantic-ai, simonw's llm plugins,
 * langchaingo and the Vercel AI SDK) reconstructs to the facts its provider sent: provider, model,
 * answer text, tool calls, finish reason, usage, reasoning and errors. SSE and NDJSON bodies are split
 * with our own decoder; the gzip body and Bedrock's event stream are decoded in the helper (their
 * framing is tested with the recorder). Where the official `openai` SDK assembles a chat stream
 * (`chat.completions.stream().finalChatCompletion()`), it reads the captured bytes from a fake
 * upstream and must assemble what we rebuild.
 */
import { createServer, type Server } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { reconstruct, summarize } from '../../src/trace/reconstruct.js';
import { capturedFacts, capturedNames, loadCaptured } from './captured.js';

interface Facts {
  provider: string;
  model: string | null;
  /** Stream events (0: a non-stream body). */
  chunks: number;
  /** In UTF-16 code units, as JavaScript counts. */
  textLength: number;
  textStart: string;
  tools: string[];
  finish: string | null;
  usage: [number | undefined, number | undefined] | null;
  reasoningLength?: number;
  /** The start of the reported error. */
  error?: string;
}

// Counted independently of our code where it matters (a Python pass over the raw bodies for the
// reasoning of DeepSeek 882, Groq 412, OpenRouter 51/42, Mistral 421/607, Gemini thinking 1575/1938);
// Bedrock's 375/end_turn/13-82 and Cohere's tools, TOOL_CALL and usage are the figures of issue 12.
const EXPECTED: Record<string, Facts> = {
  'anthropic-redacted-thinking': {"provider":"anthropic","model":"claude-sonnet-4-5-20250929","chunks":27,"textLength":359,"textStart":"I notice that you've sen","tools":[],"finish":"end_turn","usage":[92,189]},
  'anthropic-text-lcgo': {"provider":"anthropic","model":"claude-3-opus-20240229","chunks":9,"textLength":9,"textStart":"1\n2\n3\n4\n5","tools":[],"finish":"end_turn","usage":[15,13]},
  'anthropic-thinking': {"provider":"anthropic","model":"claude-sonnet-4-5-20250929","chunks":41,"textLength":17,"textStart":"- Captain\n- Scoop","tools":[],"finish":"end_turn","usage":[46,84],"reasoningLength":218},
  'anthropic-tool-no-args': {"provider":"anthropic","model":"claude-sonnet-4-5-20250929","chunks":13,"textLength":35,"textStart":"I'll update the issue li","tools":["updateIssueList"],"finish":"tool_use","usage":[565,48]},
  'anthropic-tool-use': {"provider":"anthropic","model":"claude-haiku-4-5-20251001","chunks":10,"textLength":0,"textStart":"","tools":["pelican_name_generator","pelican_name_generator"],"finish":"tool_use","usage":[542,62]},
  'anthropic-tool-use-gzip': {"provider":"anthropic","model":"claude-haiku-4-5-20251001","chunks":10,"textLength":0,"textStart":"","tools":["pelican_name_generator","pelican_name_generator"],"finish":"tool_use","usage":[542,62]},
  'anthropic-web-search': {"provider":"anthropic","model":"claude-sonnet-4-20250514","chunks":111,"textLength":1335,"textStart":"Based on the search resu","tools":["web_search","web_search"],"finish":"end_turn","usage":[22397,637],"reasoningLength":405},
  'bedrock-converse': {"provider":"bedrock","model":"us.amazon.nova-micro-v1:0","chunks":33,"textLength":375,"textStart":"The capital of France is","tools":[],"finish":"end_turn","usage":[13,82]},
  'cohere-tool-call': {"provider":"cohere","model":"command-r","chunks":47,"textLength":0,"textStart":"","tools":["weather","cityAttractions"],"finish":"TOOL_CALL","usage":[1549,95],"reasoningLength":131},
  'deepseek-reasoning': {"provider":"openai","model":"deepseek-reasoner","chunks":212,"textLength":41,"textStart":"Hello there! 😊 How can ","tools":[],"finish":"stop","usage":[6,212],"reasoningLength":882},
  'deepseek-responses-tool': {"provider":"openai-responses","model":"deepseek-v4-flash","chunks":34,"textLength":0,"textStart":"","tools":["get_temperature"],"finish":"completed","usage":[366,59],"reasoningLength":61},
  'gemini-json-array': {"provider":"gemini","model":"gemini-3.6-flash","chunks":0,"textLength":5,"textStart":"Scoop","tools":[],"finish":"STOP","usage":[11,2],"reasoningLength":275},
  'gemini-sse-crlf': {"provider":"gemini","model":"gemini-2.0-flash-exp","chunks":3,"textLength":32,"textStart":"The capital of France is","tools":[],"finish":"STOP","usage":[13,8]},
  'gemini-thinking': {"provider":"gemini","model":"gemini-2.5-pro","chunks":23,"textLength":1938,"textStart":"This is a great question","tools":[],"finish":"STOP","usage":[34,469],"reasoningLength":1575},
  'gemini-tool-thoughtsig': {"provider":"gemini","model":"gemini-3-pro-preview","chunks":2,"textLength":0,"textStart":"","tools":["get_country"],"finish":"STOP","usage":[29,10]},
  'gemini-vertex': {"provider":"gemini","model":"gemini-3-flash-preview","chunks":1,"textLength":2,"textStart":"OK","tools":[],"finish":"STOP","usage":[5,1]},
  'groq-tool-error': {"provider":"openai","model":"openai/gpt-oss-120b","chunks":95,"textLength":0,"textStart":"","tools":[],"finish":null,"usage":null,"reasoningLength":412,"error":"invalid_request_error: Tool call validat"},
  'mistral-thinking': {"provider":"openai","model":"magistral-medium-latest","chunks":159,"textLength":607,"textStart":"To cross the street safe","tools":[],"finish":"stop","usage":[10,232],"reasoningLength":421},
  'ollama-chat-lcgo': {"provider":"ollama","model":"gemma3:1b","chunks":22,"textLength":33,"textStart":"Okay, here we go!\n\n1, 2,","tools":[],"finish":"stop","usage":[16,22]},
  'ollama-generate-lcgo': {"provider":"ollama","model":"gemma3:1b","chunks":22,"textLength":33,"textStart":"Okay, here we go!\n\n1, 2,","tools":[],"finish":"stop","usage":[16,22]},
  'openai-chat-parallel-tools': {"provider":"openai","model":"gpt-4o-2024-08-06","chunks":8,"textLength":0,"textStart":"","tools":["get_country","get_product_name"],"finish":"tool_calls","usage":[364,40]},
  'openai-chat-text-lcgo': {"provider":"openai","model":"gpt-3.5-turbo-0125","chunks":17,"textLength":13,"textStart":"1, 2, 3, 4, 5","tools":[],"finish":"stop","usage":[14,13]},
  'openai-chat-tool': {"provider":"openai","model":"gpt-4o-mini-2024-07-18","chunks":9,"textLength":0,"textStart":"","tools":["get_capital"],"finish":"tool_calls","usage":[53,15]},
  'openai-legacy-completion': {"provider":"openai","model":"gpt-3.5-turbo-instruct:20230824-v2","chunks":18,"textLength":66,"textStart":"The holiday is called \"G","tools":[],"finish":"length","usage":[14,16]},
  'openai-responses-gpt5-tool': {"provider":"openai-responses","model":"gpt-5-2025-08-07","chunks":14,"textLength":0,"textStart":"","tools":["final_result"],"finish":"completed","usage":[53,469]},
  'openai-responses-reasoning-summary': {"provider":"openai-responses","model":"o3-mini-2025-01-31","chunks":676,"textLength":1251,"textStart":"I'm not a road safety pr","tools":[],"finish":"completed","usage":[13,1680],"reasoningLength":2028},
  'openai-responses-text': {"provider":"openai-responses","model":"gpt-4o-2024-08-06","chunks":15,"textLength":31,"textStart":"The capital of France is","tools":[],"finish":"completed","usage":[278,9]},
  'openai-responses-tool': {"provider":"openai-responses","model":"gpt-4o-2024-08-06","chunks":11,"textLength":0,"textStart":"","tools":["get_capital"],"finish":"completed","usage":[255,16]},
  'openrouter-error': {"provider":"openai","model":"minimax/minimax-m2:free","chunks":22,"textLength":0,"textStart":"","tools":[],"finish":"length","usage":[43,10],"reasoningLength":42,"error":"400: Token limit reached"},
  'openrouter-reasoning': {"provider":"openai","model":"anthropic/claude-sonnet-4.5","chunks":19,"textLength":9,"textStart":"2 + 2 = 4","tools":[],"finish":"stop","usage":[43,36],"reasoningLength":51},
};

// The first 30 streams, checked by hand; every stream (these and the 27 added later) is also checked
// against facts.json, derived from its bytes, in captured-roundtrip.test.ts.
describe('the captured provider streams', () => {
  it('has a row here for each of the first 30 and a derived row in facts.json for every fixture folder', () => {
    expect(Object.keys(EXPECTED).filter((n) => !capturedNames().includes(n))).toEqual([]);
    expect(Object.keys(EXPECTED)).toHaveLength(30);
    expect(Object.keys(capturedFacts()).sort()).toEqual(capturedNames());
    expect(capturedNames()).toHaveLength(57);
  });

  for (const [name, want] of Object.entries(EXPECTED)) {
    it(`${name}: ${want.provider}, ${want.model}`, () => {
      const cap = loadCaptured(name);
      expect(cap.input.chunks).toHaveLength(want.chunks);
      const rec = reconstruct(cap.input);
      const s = summarize(rec.provider, rec.response);
      expect(rec.provider).toBe(want.provider);
      expect(rec.model).toBe(want.model);
      expect(s.text).toHaveLength(want.textLength);
      expect(s.text.startsWith(want.textStart)).toBe(true);
      expect(s.tool_calls.map((t) => t.name)).toEqual(want.tools);
      expect(s.finish_reason).toBe(want.finish);
      expect(s.usage ? [s.usage.input_tokens, s.usage.output_tokens] : null).toEqual(want.usage);
      expect(s.reasoning?.length).toBe(want.reasoningLength);
      if (want.error) expect(rec.error?.startsWith(want.error), rec.error).toBe(true);
      else expect(rec.error).toBeUndefined();
      // A stream with content says where it starts; the trace's first-content latency depends on it.
      if (cap.input.stream && (want.textLength > 0 || want.tools.length > 0 || want.reasoningLength)) expect(rec.firstContentIndex).not.toBeNull();
    });
  }

  it('tool arguments parse where the provider sent JSON', () => {
    const args = (name: string) => {
      const rec = reconstruct(loadCaptured(name).input);
      return summarize(rec.provider, rec.response).tool_calls.map((t) => t.arguments);
    };
    expect(args('openai-chat-tool')).toEqual([{ country: 'UK' }]);
    expect(args('cohere-tool-call')).toEqual([{ location: 'San Francisco' }, { city: 'San Francisco' }]);
    expect(args('anthropic-tool-no-args')).toEqual([{}]);
    expect(args('anthropic-tool-use-gzip')).toEqual(args('anthropic-tool-use'));
  });
});

describe('the official openai SDK assembles the captured OpenAI chat streams as we do', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  /** Drop what the SDK adds itself (`parsed`, `parsed_arguments`) and the per-chunk `obfuscation` padding no non-stream response has. */
  function sdkShape(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(sdkShape);
    if (typeof v !== 'object' || v === null) return v;
    return Object.fromEntries(Object.entries(v).filter(([k]) => !['parsed', 'parsed_arguments', 'obfuscation'].includes(k)).map(([k, x]) => [k, sdkShape(x)]));
  }

  /**
   * The SDK assembles only the standard fields (vendor deltas such as `reasoning_content` keep their
   * first value), so the comparison is of what it does assemble: id, model, content, refusal, tool
   * calls, finish reason and usage. Mistral's magistral streams `content` as an array of parts; the
   * SDK adds those arrays to a string ("[object Object]…"), so there its content is not compared;
   * nor on Perplexity's stream, where the SDK repeats the last delta (see below).
   */
  const standard = (r: unknown) => {
    const c = r as { id: string; model: string; usage?: unknown; choices: Array<{ finish_reason: unknown; message: { content?: unknown; refusal?: unknown; tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }> } }> };
    return {
      id: c.id,
      model: c.model,
      usage: c.usage ?? null,
      choices: c.choices.map((ch) => ({ finish: ch.finish_reason, content: ch.message.content ?? null, refusal: ch.message.refusal ?? null, tools: (ch.message.tool_calls ?? []).map((t) => [t.id, t.function.name, t.function.arguments]) })),
    };
  };
  /** Streams openai 6's `finalChatCompletion()` cannot assemble: it throws, and these are its reasons. */
  const SDK_THROWS: Record<string, string> = {
    'groq-tool-error': 'the stream ends in an error event, which the SDK raises (we keep it as the error)',
    'openrouter-error': 'the stream ends in an error event, which the SDK raises (we keep it as the error)',
    'groq-web-search-reasoning': "Groq's compound model sends chunks without a role: the SDK throws 'missing role for choice 0'",
    'snowflake-cortex-thinking': "Snowflake Cortex never sends a finish_reason: the SDK throws 'missing finish_reason for choice 0'",
  };
  const chatNames = capturedNames().filter((n) => /\/chat\/completions(\?|$)/.test(loadCaptured(n).meta.request.path));
  it('covers every captured chat stream', () => expect(chatNames.length).toBeGreaterThanOrEqual(17));
  for (const name of chatNames) {
    it(SDK_THROWS[name] ? `${name} (the SDK throws: ${SDK_THROWS[name]})` : name, async () => {
      const cap = loadCaptured(name);
      server = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.end(cap.body);
        });
      });
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
      const { port } = server.address() as { port: number };
      const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'sk-test', maxRetries: 0 });
      const request = JSON.parse(cap.meta.request.body) as Record<string, unknown>;
      const run = client.chat.completions.stream({ ...request, stream: true } as Parameters<typeof client.chat.completions.stream>[0]).finalChatCompletion();
      const ours = reconstruct(cap.input);
      if (SDK_THROWS[name]) {
        await expect(run).rejects.toThrow();
        // Where the SDK gives up on a well-formed stream, ours still has the whole answer.
        if (!/error event/.test(SDK_THROWS[name]!)) expect(ours.error).toBeUndefined();
        return;
      }
      const sdk = sdkShape(await run);
      const [a, b] = [standard(ours.response), standard(sdk)];
      if (name === 'mistral-thinking') for (const c of [...a.choices, ...b.choices]) c.content = null;
      if (name === 'perplexity-sonar-crlf') {
        // openai 6 adds the last delta twice on this CRLF stream that ends without [DONE] ("… [2][4]. [2][4]."):
        // the deltas and Perplexity's own cumulative `message` both end once. Ours must equal that snapshot.
        const last = cap.input.chunks.at(-1)!.data as { choices: Array<{ message: { content: string } }> };
        expect(a.choices[0]!.content).toBe(last.choices[0]!.message.content);
        expect(b.choices[0]!.content).toBe(`${last.choices[0]!.message.content} [2][4].`);
        for (const c of [...a.choices, ...b.choices]) c.content = null;
      }
      expect(a).toEqual(b);
      if (['openai-chat-parallel-tools', 'openai-chat-text-lcgo', 'openai-chat-tool'].includes(name)) expect(ours.response).toEqual(sdk);
    });
  }
});

/**
 * The same for Anthropic's `messages.stream().finalMessage()` and OpenAI's
 * `responses.stream().finalResponse()` on the captured bytes (the gzip one served with its
 * content-encoding, which the SDK's fetch undoes as a client would).
 */
describe('the official SDKs assemble the captured Anthropic and Responses streams as we do', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function serve(name: string): Promise<{ cap: ReturnType<typeof loadCaptured>; url: string }> {
    const cap = loadCaptured(name);
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(cap.meta.response.status, Object.fromEntries(cap.meta.response.headers.filter(([k]) => !/^(content-length|transfer-encoding|connection)$/i.test(k))));
        res.end(cap.body);
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    return { cap, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
  }

  /** The JSON an `mcp_tool_use` block at `index` streamed, joined from its input_json_delta events. */
  const mcpInput = (chunks: ReadonlyArray<{ data?: unknown }>, index: number) =>
    JSON.parse(
      chunks
        .map((c) => c.data as { type?: string; index?: number; delta?: { type?: string; partial_json?: string } })
        .filter((d) => d?.type === 'content_block_delta' && d.index === index && d.delta?.type === 'input_json_delta')
        .map((d) => d.delta!.partial_json)
        .join('') || '{}',
    ) as unknown;

  const anthropicNames = capturedNames().filter((n) => n.startsWith('anthropic-'));
  it('covers every captured Anthropic stream', () => expect(anthropicNames.length).toBeGreaterThanOrEqual(7));
  for (const name of anthropicNames) {
    it(name, async () => {
      const { cap, url } = await serve(name);
      const client = new Anthropic({ baseURL: url, apiKey: 'sk-ant-test', maxRetries: 0 });
      const request = JSON.parse(cap.meta.request.body) as Record<string, unknown>;
      const sdk = await client.messages.stream(request as unknown as Parameters<typeof client.messages.stream>[0]).finalMessage();
      const ours = reconstruct(cap.input).response as Record<string, unknown>;
      // The SDK keeps tool input as parsed JSON and drops its private bookkeeping; compare the content and the ending.
      const theirs = JSON.parse(JSON.stringify(sdk.content)) as Array<Record<string, unknown>>;
      // @anthropic-ai/sdk 1.13's MessageStream drops an `mcp_tool_use` block's streamed input (it
      // accumulates input_json_delta only for tool_use and server_tool_use): there it is checked against
      // the input the stream sent, and the rest against the SDK.
      const mcp = (ours.content as Array<Record<string, unknown>>).map((b, i) => (b.type === 'mcp_tool_use' ? i : -1)).filter((i) => i >= 0);
      for (const i of mcp) {
        expect(theirs[i]!.input).toEqual({});
        expect((ours.content as Array<Record<string, unknown>>)[i]!.input).toEqual(mcpInput(cap.input.chunks, i));
        theirs[i]!.input = (ours.content as Array<Record<string, unknown>>)[i]!.input;
      }
      if (name === 'anthropic-mcp-servers') expect(mcp.length).toBeGreaterThan(0);
      expect(ours.content).toEqual(theirs);
      expect([ours.stop_reason, ours.model, ours.id]).toEqual([sdk.stop_reason, sdk.model, sdk.id]);
      expect((ours.usage as { output_tokens: number }).output_tokens).toBe(sdk.usage.output_tokens);
    });
  }

  const responsesNames = capturedNames().filter((n) => /\/responses(\?|$)/.test(loadCaptured(n).meta.request.path));
  it('covers every captured Responses stream', () => expect(responsesNames.length).toBeGreaterThanOrEqual(11));
  for (const name of responsesNames) {
    it(name, async () => {
      const { cap, url } = await serve(name);
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
      const request = JSON.parse(cap.meta.request.body) as Record<string, unknown>;
      const sdk = await client.responses.stream(request as unknown as Parameters<typeof client.responses.stream>[0]).finalResponse();
      const ours = reconstruct(cap.input).response as Record<string, unknown>;
      const plain = JSON.parse(JSON.stringify(sdk, (k, v) => (['output_parsed', 'parsed_arguments', 'parsed'].includes(k) ? undefined : v)));
      expect(ours.output).toEqual(plain.output);
      expect([ours.id, ours.status, ours.usage]).toEqual([plain.id, plain.status, plain.usage]);
    });
  }
});
