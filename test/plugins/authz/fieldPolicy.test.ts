import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { collectFieldPolicy } from '../../../src/plugins/authz/collectFieldPolicy.js';
import { compileFieldRules } from '../../../src/plugins/authz/compileFieldRules.js';
import { AUTHENTICATED, PUBLIC, checkRule, describeRule } from '../../../src/plugins/authz/fieldRule.js';
import { policyDirectiveDefinitions } from '../../../src/plugins/authz/policyDirectives.js';
import { ANONYMOUS, type Principal } from '../../../src/context/principal.js';

const caller = (scopes: string[] = [], roles: string[] = []): Principal => ({ kind: 'jwt', subject: 's', scopes, roles });
const policy = (...sdls: string[]) => collectFieldPolicy(sdls.map((sdl, i) => ({ origin: `sdl${i}`, sdl })));
const schemas = path.resolve(import.meta.dirname, '../../../schemas');

describe('reading the policy directives', () => {
  it('reads @public, @auth(requires:) and @requiresScopes on fields', () => {
    const rules = policy(`
      type Query { a: Int @public b: Int @auth c: Int @auth(requires: ["admin", "ops"]) d: Int @requiresScopes(scopes: [["x", "y"], ["z"]]) e: Int }
    `);
    expect(rules.get('Query.a')).toEqual(PUBLIC);
    expect(rules.get('Query.b')).toEqual(AUTHENTICATED);
    expect(rules.get('Query.c')).toEqual({ public: false, roles: ['admin', 'ops'], scopes: [] });
    expect(rules.get('Query.d')).toEqual({ public: false, roles: [], scopes: [[['x', 'y'], ['z']]] });
    expect(rules.has('Query.e')).toBe(false);
  });

  it('applies a type rule to every field of that definition, together with the field rule', () => {
    const rules = policy(`
      type Order @requiresScopes(scopes: [["orders:read"]]) { id: ID total: Int @auth(requires: ["finance"]) }
      extend type Order { note: String }
    `);
    expect(rules.get('Order.id')).toEqual({ public: false, roles: [], scopes: [[['orders:read']]] });
    expect(rules.get('Order.total')).toEqual({ public: false, roles: ['finance'], scopes: [[['orders:read']]] });
    // The extension states nothing itself, so its field takes the BFF's default.
    expect(rules.has('Order.note')).toBe(false);
  });

  it('lets a public type hold a field with a requirement', () => {
    const rules = policy(`type Product @public { name: String stock: Int @auth }`);
    expect(rules.get('Product.name')).toEqual(PUBLIC);
    expect(rules.get('Product.stock')).toEqual(AUTHENTICATED);
  });

  it('combines the rules of a field several sources declare: all must hold, and a source stating none defers', () => {
    const rules = policy(
      `type Product @public { id: ID! name: String }`,
      `type Product { id: ID! stock: Int @requiresScopes(scopes: [["inventory:read"]]) }`,
      `type Product { id: ID! stock: Int @auth(requires: ["staff"]) }`,
    );
    expect(rules.get('Product.id')).toEqual(PUBLIC);
    expect(rules.get('Product.stock')).toEqual({ public: false, roles: ['staff'], scopes: [[['inventory:read']]] });
  });

  it('keys a source field by the name the BFF serves it under', () => {
    const rules = collectFieldPolicy([
      { origin: 'products', sdl: 'type Product { name: String @public }', rename: { 'Product.name': 'title' } },
      { origin: 'bff', sdl: 'extend type Product { card: String @auth }' },
    ]);
    expect(rules.get('Product.title')).toEqual(PUBLIC);
    expect(rules.has('Product.name')).toBe(false);
    expect(rules.get('Product.card')).toEqual(AUTHENTICATED);
  });

  it('reads federation @authenticated as @auth and a flat scope list as alternatives', () => {
    const rules = policy(`type Query { a: Int @authenticated b: Int @requiresScopes(scopes: ["x", "y"]) }`);
    expect(rules.get('Query.a')).toEqual(AUTHENTICATED);
    expect(rules.get('Query.b')).toEqual({ public: false, roles: [], scopes: [[['x'], ['y']]] });
  });

  it.each([
    ['@public next to a requirement', 'type Query { a: Int @public @auth }', /sdl0: Query\.a: @public cannot stand next to/],
    ['@public on a field of a protected type', 'type T @auth { a: Int @public }', /sdl0: T\.a: @public has no effect/],
    ['an unknown argument', 'type Query { a: Int @auth(role: "x") }', /sdl0: Query\.a: @auth has no argument "role"/],
    ['an empty scope list', 'type Query { a: Int @requiresScopes(scopes: []) }', /would let no one in/],
    ['an empty scope set', 'type Query { a: Int @requiresScopes(scopes: [[]]) }', /empty scope set/],
    ['a missing scopes argument', 'type Query { a: Int @requiresScopes }', /needs scopes/],
    ['an SDL that does not parse', 'type Query {', /sdl0: the SDL does not parse/],
  ])('refuses %s at start-up, naming the SDL and the field', (_name, sdl, message) => {
    expect(() => policy(sdl)).toThrow(message);
  });
});

describe('checking a rule against the caller', () => {
  const rule = { public: false, roles: ['buyer'], scopes: [[['a', 'b'], ['c']], [['d']]] } as const;

  it.each([
    ['anonymous', ANONYMOUS, 'unauthenticated'],
    ['missing the role', caller(['c', 'd']), 'forbidden'],
    ['holding a and b, and d', caller(['a', 'b', 'd'], ['buyer']), undefined],
    ['holding c and d', caller(['c', 'd'], ['buyer']), undefined],
    ['holding a only, and d', caller(['a', 'd'], ['buyer']), 'forbidden'],
    ['holding c but not d', caller(['c'], ['buyer']), 'forbidden'],
  ])('%s: %s', (_name, principal, expected) => {
    expect(checkRule(rule, principal)).toBe(expected);
  });

  it('lets anyone read a public field and any authenticated caller an @auth one', () => {
    expect(checkRule(PUBLIC, ANONYMOUS)).toBeUndefined();
    expect(checkRule(AUTHENTICATED, ANONYMOUS)).toBe('unauthenticated');
    expect(checkRule(AUTHENTICATED, caller())).toBeUndefined();
    expect(describeRule(rule)).toBe('authenticated; roles buyer; scopes a and b, or c; scopes d');
  });
});

describe('compiling the rules for a schema', () => {
  it('gives unannotated fields the default and interface fields every implementation rule', () => {
    const sdl = `${policyDirectiveDefinitions}
      interface Node { id: ID! secret: String }
      type A implements Node @public { id: ID! secret: String @requiresScopes(scopes: [["a"]]) }
      type B implements Node @public { id: ID! secret: String @auth(requires: ["b"]) }
      type Query { node: Node @public plain: Int }`;
    const rules = compileFieldRules(buildSchema(sdl), policy(sdl), AUTHENTICATED);
    expect(rules.get('Query.plain')).toEqual(AUTHENTICATED);
    expect(rules.get('Query.node')).toEqual(PUBLIC);
    expect(rules.get('A.id')).toEqual(PUBLIC);
    // Node.id and Node.secret are unannotated (default: authenticated), plus A's and B's rules.
    expect(rules.get('Node.id')).toEqual(AUTHENTICATED);
    expect(rules.get('Node.secret')).toEqual({ public: false, roles: ['b'], scopes: [[['a']]] });
  });
});

describe('the demo policy in schemas/', () => {
  const sdl = (file: string) => readFileSync(path.join(schemas, file), 'utf8');
  const rules = collectFieldPolicy(['users', 'orders', 'products', 'inventory'].map((name) => ({ origin: name, sdl: sdl(`${name}.graphql`) })));

  it('keeps the catalogue public and personal data behind users:pii', () => {
    expect(rules.get('Query.products')).toEqual(PUBLIC);
    expect(rules.get('Product.name')).toEqual(PUBLIC);
    expect(rules.get('ProductPage.items')).toEqual(PUBLIC);
    expect(rules.get('User.email')).toEqual({ public: false, roles: [], scopes: [[['users:pii']]] });
    expect(rules.get('User.phone')).toEqual({ public: false, roles: [], scopes: [[['users:pii']]] });
    // A public profile: id and name; everything else about a user needs a signed-in caller.
    expect(rules.get('User.name')).toEqual(PUBLIC);
    expect(rules.get('Query.user')).toEqual(PUBLIC);
    expect(rules.has('User.plan')).toBe(false);
  });

  it('puts orders behind orders:read, writes behind orders:write and the user list behind admin', () => {
    expect(rules.get('Order.total')).toEqual({ public: false, roles: [], scopes: [[['orders:read']]] });
    expect(rules.get('User.orders')).toEqual({ public: false, roles: [], scopes: [[['orders:read']]] });
    expect(rules.get('Mutation.cancelOrder')).toEqual({ public: false, roles: [], scopes: [[['orders:write']]] });
    expect(rules.get('Query.users')).toEqual({ public: false, roles: ['admin'], scopes: [] });
  });

  it('opens stock to inventory staff or order readers, and warehouses to staff only', () => {
    expect(rules.get('Product.stock')).toEqual({ public: false, roles: [], scopes: [[['inventory:read'], ['orders:read']]] });
    expect(rules.get('Stock.warehouse')).toEqual({ public: false, roles: [], scopes: [[['inventory:read']]] });
    // The id other sources merge on stays as public as the products source says.
    expect(rules.get('Product.id')).toEqual(PUBLIC);
  });
});
