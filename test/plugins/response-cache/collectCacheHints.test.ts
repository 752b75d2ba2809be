import { describe, expect, it } from 'vitest';
import { collectCacheHints } from '../../../src/plugins/response-cache/collectCacheHints.js';

const DEFINITION = 'directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION enum CacheControlScope { PUBLIC PRIVATE }';

describe('collectCacheHints', () => {
  it('reads type and field hints, keyed by the BFF coordinates after renames', () => {
    const hints = collectCacheHints(
      [{ origin: 'source products', sdl: `${DEFINITION} type Product @cacheControl(maxAge: 60) { id: ID! name: String @cacheControl(maxAge: 10, scope: PRIVATE) }` }],
      { 'Product.name': 'title' },
    );
    expect(hints.types.get('Product')).toEqual({ maxAge: 60 });
    expect(hints.fields.get('Product.title')).toEqual({ maxAge: 10, scope: 'PRIVATE' });
    expect(hints.fields.has('Product.name')).toBe(false);
  });

  it('keeps the stricter hint where two sources hint the same type', () => {
    const hints = collectCacheHints([
      { origin: 'source a', sdl: 'type User @cacheControl(maxAge: 60) { id: ID! }' },
      { origin: 'source b', sdl: 'extend type User @cacheControl(maxAge: 300, scope: PRIVATE)' },
    ]);
    expect(hints.types.get('User')).toEqual({ maxAge: 60, scope: 'PRIVATE' });
  });

  it('reads hints on type extensions and interfaces', () => {
    const hints = collectCacheHints([
      { origin: 's', sdl: 'interface Node @cacheControl(maxAge: 5) { id: ID! } extend type Query { node: Node @cacheControl(inheritMaxAge: true) }' },
    ]);
    expect(hints.types.get('Node')).toEqual({ maxAge: 5 });
    expect(hints.fields.get('Query.node')).toEqual({ inheritMaxAge: true });
  });

  it.each([
    ['type A @cacheControl(maxAge: -1) { id: ID }', 'source x: A: @cacheControl(maxAge:) must be a non-negative integer (seconds)'],
    ['type A { id: ID @cacheControl(scope: SHARED) }', 'source x: A.id: @cacheControl(scope:) must be PUBLIC or PRIVATE'],
    ['type A { id: ID @cacheControl(maxAge: 5, inheritMaxAge: true) }', 'source x: A.id: @cacheControl takes maxAge or inheritMaxAge, not both'],
    ['type A { id: ID @cacheControl(ttl: 5) }', 'source x: A.id: @cacheControl has no argument "ttl"'],
    ['enum E @cacheControl(maxAge: 5) { X }', 'source x: E: @cacheControl applies to object, interface and union types only'],
  ])('stops start-up on a malformed hint: %s', (sdl, message) => {
    expect(() => collectCacheHints([{ origin: 'source x', sdl }])).toThrow(message);
  });
});
