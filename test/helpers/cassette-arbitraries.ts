import fc from 'fast-check';

/**
 * Values a cassette must carry exactly, for the emitter's and the readers' properties: strings YAML
 * treats specially (markers, comments, indicators, reserved words, line and paragraph separators, CR,
 * lone surrogates), SSE-like multi-line text, every kind of number, and JSON-like data with awkward keys.
 */
export const sseLike = fc.array(fc.constantFrom('data: {"a":1}', 'event: x', ': ping', '', ' lead', '\tTab', 'x\r', 'é ☃ 😀', '  ', '#c', '- y', '---', '...'), { maxLength: 5 }).map((ls) => ls.join('\n'));
export const words = fc.stringMatching(/^[A-Za-z/][A-Za-z0-9 _./()?!,;=+@$%~:#-]{0,12}$/);
export const text = fc.oneof(fc.string({ unit: 'binary' }), words, fc.string({ unit: 'grapheme' }), sseLike, sseLike.map((t) => `${t}\n`), sseLike.map((t) => `${t}\n\n\n`), fc.constantFrom('\u2028', '\u0085', '\u007f', '\ufeff', '\uffff', '\ud800', 'a\r\nb', '---', '...', '# x', '&a', '*a', '!!str', '- x', 'key: v', "'", '"', '\\', 'yes', 'null', 'No', '~', 'a: b', 'a #b', 'x ', ' x', '/v1/x', 'What is it?', 'a:b', '.inf', '-1', 'A(b)', ''));
export const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(-0, 0, Number.MAX_SAFE_INTEGER, 1e21, 5e-324, 12345678901234567890, 123456789012345680000));
export const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, text, number, fc.boolean(), fc.constant(null), tie('list'), tie('object')),
  list: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(text, fc.constantFrom('x'.repeat(1100), 'true', 'a b', '', '? q', 'k: v', '__proto__', 'constructor', '1', 'a_1')), tie('value'), { maxKeys: 4, noNullPrototype: false }),
})).value;

export const chunk = fc.record(
  { delta_ms: fc.double({ min: 0, max: 1e6, noNaN: true }), event: text, id: text, data: json, raw: text, comments: fc.array(text, { maxLength: 2 }), partial: fc.constant(true) },
  { requiredKeys: ['delta_ms', 'raw'] },
);
export const bodyRead = fc.record({ delta_ms: fc.double({ min: 0, max: 1e6, noNaN: true }), raw: text });
