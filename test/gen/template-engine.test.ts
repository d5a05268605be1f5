import { describe, expect, it } from 'vitest';
import { isTraceForgeError } from '../../src/errors.js';
import { readTemplateMeta, renderTemplate } from '../../src/gen/template-engine.js';

const render = (template: string, view: Parameters<typeof renderTemplate>[1]) => renderTemplate(template, view, 'x.tpl');

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isTraceForgeError(e) && e.code).toBe('E_GEN');
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('renderTemplate', () => {
  it('fills values and keeps or drops sections without leaving blank lines behind', () => {
    const template = ['{{! a comment }}', 'a = {{a}};', '{{#on}}', 'on();', '{{/on}}', '{{^on}}', 'off();', '{{/on}}', 'end({{n}});', ''].join('\n');
    expect(render(template, { a: "'x'", on: true, n: 3 })).toBe("a = 'x';\non();\nend(3);\n");
    expect(render(template, { a: "'x'", on: false, n: 3 })).toBe("a = 'x';\noff();\nend(3);\n");
  });

  it('keeps inline sections on their line', () => {
    expect(render('f({ a: 1{{#q}}, q: {{v}}{{/q}} });', { q: true, v: '2' })).toBe('f({ a: 1, q: 2 });\n');
    expect(render('f({ a: 1{{#q}}, q: {{v}}{{/q}} });', { q: false, v: '2' })).toBe('f({ a: 1 });\n');
  });

  it('indents a multi-line value like its line, and tells a laid-out value where it lands', () => {
    expect(render('  x = {{v}};', { v: '{\n  a: 1,\n}' })).toBe('  x = {\n    a: 1,\n  };\n');
    expect(render('    const x = {{v}};', { v: (at) => JSON.stringify(at) })).toBe('    const x = {"indent":"    ","column":14};\n');
  });

  it('leaves inserted values exactly as they are while tidying the template around them', () => {
    const value = '`two  \n\n\n\nlines  `';
    expect(render('a  \n\n\n\nb = {{v}};   ', { v: value })).toBe(`a\n\nb = ${value};\n`);
  });

  it('names the template and line of an unknown placeholder, with the known ones', () => {
    expect(errorOf(() => render('a\nb {{nope}}', { yes: 'y' }))).toBe('template x.tpl:2: unknown placeholder {{nope}}; known: yes');
    // Also inside a section that is not rendered: a typo must not hide behind a flag.
    expect(errorOf(() => render('{{#f}}\n{{nope}}\n{{/f}}', { f: false }))).toContain('unknown placeholder {{nope}}');
  });

  it('rejects unbalanced sections and flags used as values', () => {
    expect(errorOf(() => render('{{#a}}\nx', { a: true }))).toBe('template x.tpl:1: {{#a}} is never closed');
    expect(errorOf(() => render('{{#a}}{{/b}}', { a: true, b: true }))).toContain('{{/b}} closes {{#a}} from line 1');
    expect(errorOf(() => render('{{a}}', { a: true }))).toContain('{{a}} is a flag');
    expect(errorOf(() => render('{{#a}}{{/a}}', { a: 'x' }))).toContain('a is a value, not a flag');
    expect(errorOf(() => render('{{a b}}', {}))).toContain('is not a placeholder');
  });
});

describe('readTemplateMeta', () => {
  it('reads key: value lines from the first comment only', () => {
    const template = '{{!\n  What it does.\n  providers: openai gemini\n  path: /chat/completions\n}}\nbody {{! providers: nope }}';
    expect(readTemplateMeta(template)).toEqual({ providers: 'openai gemini', path: '/chat/completions' });
    expect(readTemplateMeta('no comment')).toEqual({});
  });
});
