/**
 * OpenAI legacy Completions (`/completions`, not `/chat/completions`; vLLM and most compatible
 * servers still serve it). Data-only SSE of `text_completion` chunks with `choices[].text`, ending
 * with `[DONE]`; rebuilt into the non-stream `text_completion` by the chat module's merge.
 */
import * as chat from './openai-chat.js';
import { asRecord, isRecord } from './common.js';
import { STRENGTH, type CallEvidence, type ProtocolModule } from './protocol.js';

const PATH = /\/completions$/;

function recognise(e: CallEvidence): number {
  const first = e.chunks?.find((c) => isRecord(c.data))?.data ?? e.body;
  if (asRecord(first)['object'] === 'text_completion') return STRENGTH.body;
  return PATH.test(e.path) && !/\/chat\/completions$/.test(e.path) ? STRENGTH.path : 0;
}

export const protocol: ProtocolModule = {
  id: 'openai-completions',
  provider: 'openai',
  label: 'OpenAI Completions (legacy)',
  recognise,
  answers: (r) => asRecord(r)['object'] === 'text_completion',
  framing: 'sse',
  reconstruct: (input) => chat.rebuild(input, true),
  summarize: chat.summarize,
  roles: chat.roles,
  piece: chat.piece,
  statusBody: chat.protocol.statusBody,
  errorEvent: chat.protocol.errorEvent,
  sdkYields: chat.untilDone,
  route: chat.protocol.route,
};
