import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { promptOf } from '../../src/trace/prompt.js';

const message = fc.record({ role: fc.constantFrom('system', 'user', 'assistant', 'tool'), content: fc.string({ maxLength: 300 }) });

describe('promptOf', () => {
  it('is the last user message with whitespace collapsed, at most 120 characters, or null', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 8 }), (messages) => {
        const got = promptOf({ model: 'm', messages });
        const last = messages.filter((m) => m.role === 'user' && m.content.trim() !== '').at(-1);
        if (!last) {
          expect(got).toBeNull();
          return;
        }
        expect(got).toBe(last.content.replace(/\s+/g, ' ').trim().slice(0, 120));
        expect(got).not.toMatch(/[\n\r\t]/);
      }),
    );
  });

  it('never throws, whatever the request holds', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => void promptOf({ messages: a, input: b, contents: a, prompt: b })));
  });

  it('reads the shapes the providers use', () => {
    expect(promptOf({ messages: [{ role: 'user', content: [{ type: 'text', text: 'Describe' }, { type: 'image_url' }, { type: 'text', text: 'this' }] }] })).toBe('Describe this');
    expect(promptOf({ contents: [{ role: 'user', parts: [{ text: 'Gemini asks' }] }, { role: 'model', parts: [{ text: 'no' }] }] })).toBe('Gemini asks');
    expect(promptOf({ input: 'A Responses API call' })).toBe('A Responses API call');
    expect(promptOf({ input: [{ role: 'user', content: [{ type: 'input_text', text: 'Typed input' }] }] })).toBe('Typed input');
    expect(promptOf({ prompt: 'Once upon a time' })).toBe('Once upon a time');
    expect(promptOf({ messages: [{ role: 'assistant', content: 'only the model spoke' }] })).toBeNull();
    expect(promptOf(null)).toBeNull();
  });
});
