import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstUserMessage, shorten, slugForTrace, slugify } from '../../src/gen/slug.js';

describe('firstUserMessage', () => {
  it('finds the first user message in each provider request shape', () => {
    const chat = { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: '  What is\n the capital? ' }, { role: 'user', content: 'later' }] };
    expect(firstUserMessage(chat)).toBe('What is the capital?');
    expect(firstUserMessage({ messages: [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'Describe this' }] }] })).toBe('Describe this');
    expect(firstUserMessage({ input: 'Summarise Hamlet' })).toBe('Summarise Hamlet');
    expect(firstUserMessage({ input: [{ role: 'user', content: [{ type: 'input_text', text: 'Hi' }] }] })).toBe('Hi');
    expect(firstUserMessage({ prompt: 'Why is the sky blue?' })).toBe('Why is the sky blue?');
    expect(firstUserMessage({ contents: [{ parts: [{ text: 'Gemini asks' }] }] })).toBe('Gemini asks');
  });

  it('is undefined when nothing was asked, and never throws', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => void firstUserMessage(v)));
    expect(firstUserMessage({ messages: [{ role: 'assistant', content: 'x' }] })).toBeUndefined();
    expect(firstUserMessage(null)).toBeUndefined();
  });
});

describe('slugify', () => {
  it('keeps the first words, ASCII and dashed, without a dangling stop word', () => {
    expect(slugify('What is the weather in Paris, today?')).toBe('what-is-the-weather-in-paris');
    expect(slugify('Find me flights from Paris to Tokyo for two')).toBe('find-me-flights-from-paris');
    expect(slugify('Crème brûlée: how?')).toBe('creme-brulee-how');
    expect(slugify('日本語')).toBe('');
  });

  it('always gives a safe file name of bounded length', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const slug = slugify(s);
        expect(slug).toMatch(/^(?:[a-z0-9]+(?:-[a-z0-9]+)*)?$/);
        expect(slug.length).toBeLessThanOrEqual(48);
      }),
    );
  });

  it('falls back to the endpoint, then the id', () => {
    expect(slugForTrace({ request: { model: 'x' }, endpoint: '/v1/chat/completions', id: 'abc' })).toBe('v1-chat-completions');
    expect(slugForTrace({ request: { messages: [{ role: 'user', content: '？？' }] }, endpoint: '/', id: 'Ab_9' })).toBe('trace-ab-9');
  });
});

describe('shorten', () => {
  it('cuts long text at a word with an ellipsis', () => {
    expect(shorten('short')).toBe('short');
    expect(shorten('Explain the difference between streaming and buffering in detail, please', 40)).toBe('Explain the difference between…');
  });
});
