import { describe, expect, it } from 'vitest';
import { expandTemplate, parseTemplate, type TemplateValues } from '../../../src/sources/rest/expandTemplate.js';

const values: TemplateValues = {
  args: { id: 'p1', spaced: 'a b', slashed: 'a/b', tricky: 'x?y=1&z#w', n: 42, flag: true, list: ['a', 'b,c'], none: null, empty: '', dot: '.', dots: '..' },
  parent: { id: 'p7', sku: 'SKU 7' },
};

describe('expandTemplate', () => {
  it.each([
    ['/products/{args.id}', 'path', '/products/p1'],
    ['/inventory/{parent.id}', 'path', '/inventory/p7'],
    ['/a/{args.spaced}', 'path', '/a/a%20b'],
    ['/a/{args.slashed}', 'path', '/a/a%2Fb'],
    ['/a/{args.tricky}', 'path', '/a/x%3Fy%3D1%26z%23w'],
    ['/a/{ args.id }', 'path', '/a/p1'],
    ['/n/{args.n}/{args.flag}', 'path', '/n/42/true'],
    ['/skus/{parent.sku}-{args.id}', 'path', '/skus/SKU%207-p1'],
    ['{args.list}', 'query', 'a,b%2Cc'],
    ['{args.empty}', 'query', ''],
    ['{args.dots}', 'query', '..'],
    ['/static', 'path', '/static'],
  ] as const)('expands %s (%s) to %s', (template, mode, expected) => {
    expect(expandTemplate(parseTemplate(template), values, mode)).toBe(expected);
  });

  it.each([
    ['a null value', '/a/{args.none}', 'path'],
    ['a missing value', '/a/{args.absent}', 'path'],
    ['a null value in a query parameter', '{args.none}', 'query'],
    ['an empty path value, which would address the collection', '/a/{args.empty}', 'path'],
    ['a "." path value', '/a/{args.dot}', 'path'],
    ['a ".." path value, which would climb out of the collection', '/a/{args.dots}', 'path'],
  ] as const)('returns null for %s', (_, template, mode) => {
    expect(expandTemplate(parseTemplate(template), values, mode)).toBeNull();
  });
});

describe('parseTemplate', () => {
  it('splits text and placeholders', () => {
    expect(parseTemplate('/p/{args.id}/s').parts).toEqual([
      { kind: 'text', text: '/p/' },
      { kind: 'value', scope: 'args', name: 'id' },
      { kind: 'text', text: '/s' },
    ]);
  });

  it.each([
    ['/p/{args.id', 'unclosed "{"'],
    ['/p/args.id}', '"}" without a matching "{"'],
    ['/p/{id}', 'placeholder "{id}"'],
    ['/p/{context.user}', 'placeholder "{context.user}"'],
    ['/p/{args.a.b}', 'placeholder "{args.a.b}"'],
  ])('rejects %s', (template, message) => {
    expect(() => parseTemplate(template)).toThrow(message);
  });
});
