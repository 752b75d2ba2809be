import { parse, print, type DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { splitDeferredOperation, usesIncrementalDelivery, withoutIncrementalDirectives } from '../../../src/plugins/incremental/splitDeferredOperation.js';
import { wantsIncrementalDelivery } from '../../../src/plugins/incremental/useIncrementalDelivery.js';

const flat = (document: DocumentNode) => print(document).replace(/\s+/g, ' ').trim();

describe('splitDeferredOperation', () => {
  it('cuts the deferred fragment from the initial part and fetches it in its own part, from the root down', () => {
    const split = splitDeferredOperation(parse('{ user(id: "u1") { name ... @defer(label: "o") { orders(first: 2) { id } } } }'), undefined, {})!;
    expect(flat(split.initial)).toBe('{ user(id: "u1") { name __pdType: __typename } }');
    expect(split.deferred.map((part) => [flat(part.document), part.label])).toEqual([
      ['{ user(id: "u1") { ... { orders(first: 2) { id __pdType: __typename } __pdType: __typename } __pdType: __typename } }', 'o'],
    ]);
    // The shaped operation carries an internal label per @defer, so each payload names its part.
    expect(flat(split.shape)).toContain('@defer(label: "__pdDefer0")');
  });

  it('inlines a named fragment spread deferred in one place and not in another', () => {
    const split = splitDeferredOperation(
      parse('query Q { a: product(id: "1") { ...F } b: product(id: "2") { ...F @defer } } fragment F on Product { name }'),
      'Q',
      {},
    )!;
    expect(flat(split.initial)).toBe('query Q { a: product(id: "1") { ... on Product { name __pdType: __typename } __pdType: __typename } b: product(id: "2") { __pdType: __typename } }');
    expect(split.deferred).toHaveLength(1);
    expect(flat(split.deferred[0]!.document)).toBe('query Q { b: product(id: "2") { ... on Product { name __pdType: __typename } __pdType: __typename } }');
  });

  it('reads `if:` with the request variables: a @defer(if: false) fragment is part of the initial payload', () => {
    const document = parse('query Q($d: Boolean!) { product(id: "1") { id ... @defer(if: $d) { name } } }');
    expect(splitDeferredOperation(document, 'Q', { d: true })!.deferred).toHaveLength(1);
    const off = splitDeferredOperation(document, 'Q', { d: false })!;
    expect(off.deferred).toHaveLength(0);
    expect(flat(off.initial)).toBe('query Q($d: Boolean!) { product(id: "1") { id ... { name __pdType: __typename } __pdType: __typename } }');
  });

  it('gives a nested @defer its own part, cut from its parent part', () => {
    const split = splitDeferredOperation(parse('{ product(id: "1") { id ... @defer { name ... @defer { stock { available } } } } }'), undefined, {})!;
    expect(split.deferred.map((part) => flat(part.document))).toEqual([
      '{ product(id: "1") { ... { name __pdType: __typename } __pdType: __typename } }',
      '{ product(id: "1") { ... { ... { stock { available __pdType: __typename } __pdType: __typename } __pdType: __typename } __pdType: __typename } }',
    ]);
  });

  it('fetches a @stream list whole: the directive is dropped from every part', () => {
    const split = splitDeferredOperation(parse('{ products { items @stream(initialCount: 1) { id } } }'), undefined, {})!;
    expect(flat(split.initial)).toBe('{ products { items { id __pdType: __typename } __pdType: __typename } }');
    expect(split.deferred).toEqual([]);
  });

  it('marks a mutation, which is never split', () => {
    expect(splitDeferredOperation(parse('mutation { cancelOrder(id: "o1") { id ... @defer { status } } }'), undefined, {})!.mutation).toBe(true);
  });

  it('knows a document without the directives, and strips them for a whole answer', () => {
    expect(usesIncrementalDelivery(parse('{ a @include(if: true) }'))).toBe(false);
    expect(usesIncrementalDelivery(parse('{ a { ... @defer { b } } }'))).toBe(true);
    expect(flat(withoutIncrementalDirectives(parse('{ a { ... @defer { b } c @stream { d } } }')))).toBe('{ a { ... { b } c { d } } }');
  });
});

describe('wantsIncrementalDelivery', () => {
  it.each([
    ['multipart/mixed;deferSpec=20220824, application/json', true],
    ['application/json, multipart/mixed', true],
    ['text/event-stream', true],
    ['multipart/mixed;q=0, application/json', false],
    ['application/json', false],
    ['application/graphql-response+json', false],
    ['*/*', false],
    [null, false],
  ])('%s → %s', (accept, expected) => {
    expect(wantsIncrementalDelivery(accept)).toBe(expected);
  });
});
