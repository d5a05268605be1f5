import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { printValue, stringLiteral, templateLiteral } from '../../src/gen/ts-literal.js';

// The printed text is a JS expression too (no type syntax), so evaluating it reads it back.
const evaluate = (source: string): unknown => new Function(`return (${source});`)();

const tricky = fc.constantFrom("'", '"', '`', '${x}', '\\', '\n', '\r', '\r\n', '\t', '\0', '\u2028', '😀', '__proto__', 'a b', '');
const stringArb = fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.array(tricky, { maxLength: 8 }).map((p) => p.join('')));
const jsonArb = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -0, 1.5, -12, 1e21),
    stringArb,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(stringArb, fc.constantFrom('__proto__', 'constructor', 'a-b', '1')), tie('value'), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value;

describe('printValue', () => {
  it('reads back as the same value, whatever the strings hold', () => {
    fc.assert(
      fc.property(jsonArb, fc.integer({ min: 10, max: 120 }), (value, width) => {
        const printed = printValue(value, { width });
        expect(evaluate(printed)).toEqual(value);
      }),
      { numRuns: 400 },
    );
  });

  it('keeps short values on one line, Prettier style', () => {
    expect(printValue({ role: 'user', content: "It's", 'x-y': [1, null] })).toBe(`{ role: 'user', content: "It's", 'x-y': [1, null] }`);
    expect(printValue([])).toBe('[]');
    expect(printValue({})).toBe('{}');
  });

  it('breaks what does not fit, one entry per line with trailing commas, nested at the given indent', () => {
    const value = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'What is the weather in Paris today, roughly?' }] };
    expect(printValue(value, { indent: '  ', column: 30, width: 80 })).toBe(
      [
        '{',
        "    model: 'gpt-4o-mini',",
        '    messages: [',
        "      { role: 'user', content: 'What is the weather in Paris today, roughly?' },",
        '    ],',
        '  }',
      ].join('\n'),
    );
  });

  it('prints long multi-line text as a template literal and lets the parent break around it', () => {
    const text = 'Here is a list:\n\n1. first item\n2. second item with `code` and ${x}';
    const printed = printValue({ text });
    expect(printed).toBe('{\n  text: `Here is a list:\n\n1. first item\n2. second item with \\`code\\` and \\${x}`,\n}');
    expect(evaluate(printed)).toEqual({ text });
  });

  it('escapes what a template literal would change: CR stays a CR', () => {
    expect(evaluate(templateLiteral('a\r\nb\rc'))).toBe('a\r\nb\rc');
  });

  it('quotes a string with the quote that needs fewer escapes', () => {
    expect(stringLiteral(`it's`)).toBe(`"it's"`);
    expect(stringLiteral(`say "hi"`)).toBe(`'say "hi"'`);
    // JSON's `\\` before a quote is an escaped backslash, not an escaped quote.
    expect(stringLiteral('a\\"b')).toBe(`'a\\\\"b'`);
    expect(evaluate(stringLiteral(`\\'"\\"`))).toBe(`\\'"\\"`);
  });
});
