import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, getOperationAST, parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../src/context/principal.js';
import { collectFieldPolicy } from '../../../src/plugins/authz/collectFieldPolicy.js';
import { collectOwnerPolicy } from '../../../src/plugins/authz/collectOwnerPolicy.js';
import { compileFieldRules } from '../../../src/plugins/authz/compileFieldRules.js';
import { createOwnerFiller } from '../../../src/plugins/authz/fillOwnerArguments.js';
import { AUTHENTICATED } from '../../../src/plugins/authz/fieldRule.js';
import { ownerDenial, ownerGuardsOf } from '../../../src/plugins/authz/ownerGuards.js';
import { NO_BYPASS } from '../../../src/plugins/authz/ownerRule.js';
import { policyDirectiveDefinitions } from '../../../src/plugins/authz/policyDirectives.js';

const owners = (sdl: string) => collectOwnerPolicy([{ origin: 'users.graphql', sdl }]);
const user = (subject: string, roles: string[] = [], scopes: string[] = []): Principal => ({ kind: 'jwt', subject, scopes, roles });

describe('reading @owner', () => {
  it('reads an argument rule on a field and a field rule on a type, with their claim, fill and bypass lists', () => {
    const policy = owners(`
      type User @owner(field: "id", bypassRoles: ["admin"]) { id: ID! email: String }
      type Query {
        user(id: ID!): User @owner(arg: "id", claim: "sub", bypassRoles: ["admin"], bypassScopes: ["users:all"])
        orders(userId: ID): [User] @owner(arg: "userId", fill: true)
        tenant(id: ID!): User @owner(arg: "id", claim: "tenant")
      }
    `);
    expect(policy.fields.get('Query.user')).toEqual([{ arg: 'id', claim: 'sub', fill: false, bypass: { roles: ['admin'], scopes: ['users:all'] } }]);
    expect(policy.fields.get('Query.orders')).toEqual([{ arg: 'userId', claim: 'sub', fill: true, bypass: NO_BYPASS }]);
    expect(policy.fields.get('Query.tenant')![0]!.claim).toBe('tenant');
    expect(policy.types.get('User')).toEqual([{ field: 'id', claim: 'sub', bypass: { roles: ['admin'], scopes: [] } }]);
  });

  it.each([
    ['an argument the field does not have', 'type Query { user(id: ID!): Int @owner(arg: "userId") }', 'users.graphql: Query.user: @owner(arg: "userId"): the field has no such argument (it has id)'],
    ['fill on a required argument', 'type Query { user(id: ID!): Int @owner(arg: "id", fill: true) }', 'users.graphql: Query.user: @owner(fill: true) fills an argument the caller leaves out, but "id" is required'],
    ['a claim the gateway does not know', 'type Query { user(id: ID!): Int @owner(arg: "id", claim: "email") }', 'users.graphql: Query.user: @owner(claim: "email"): the gateway compares with sub or tenant only'],
    ['a field rule naming no field of the type', 'type User @owner(field: "userId") { id: ID! }', 'users.graphql: User: @owner(field: "userId"): the type declares no field "userId" here'],
    ['a field-level rule without arg', 'type Query { user(id: ID!): Int @owner(claim: "sub") }', 'users.graphql: Query.user: @owner on a field needs arg'],
    ['arg on a type', 'type User @owner(arg: "id") { id: ID! }', 'users.graphql: User: @owner here has no argument "arg"'],
  ])('stops start-up on %s, naming the SDL, type and field', (_, sdl, message) => {
    expect(() => owners(sdl)).toThrow(message);
  });

  it('reads the demo SDLs without error (each declares the directive the way policyDirectives does)', () => {
    const schemas = path.resolve(import.meta.dirname, '../../../schemas');
    const line = policyDirectiveDefinitions.split('\n').find((text) => text.startsWith('directive @owner'))!;
    for (const file of ['users.graphql', 'orders.graphql']) {
      const sdl = readFileSync(path.join(schemas, file), 'utf8');
      expect(sdl).toContain(line);
      expect(() => owners(sdl)).not.toThrow();
    }
  });
});

describe('deciding ownership from the document and the variables', () => {
  const sdl = `
    type User @owner(field: "id", bypassRoles: ["admin"]) { id: ID! @public name: String @public email: String orders(first: Int): [Order!]! }
    type Order @owner(field: "user.id") { id: ID! user: User! }
    type Query {
      user(id: ID!): User @public @owner(arg: "id", bypassRoles: ["admin"])
      usersByIds(ids: [ID!]!): [User]! @owner(arg: "ids")
      users: [User!]! @auth(requires: ["admin"])
      orders(userId: ID): [Order!]! @owner(arg: "userId", fill: true)
    }
  `;
  const schema = buildSchema(`${policyDirectiveDefinitions}\n${sdl}`);
  const rules = compileFieldRules(schema, collectFieldPolicy([{ origin: 'sdl', sdl }]), AUTHENTICATED);
  const policy = owners(sdl);
  const decide = (query: string, principal: Principal, variables?: Record<string, unknown>) => {
    const document = parse(query);
    const { guards, variableDefaults } = ownerGuardsOf(schema, document, getOperationAST(document)!, rules, policy);
    return guards.flatMap((guard) => {
      const denial = ownerDenial(guard, principal, { ...variableDefaults, ...variables }, NO_BYPASS);
      return denial ? [`${guard.coordinate} ${denial}`] : [];
    });
  };

  it('guards only the non-public fields under an owner argument: a public profile stays public', () => {
    expect(decide('{ user(id: "u2") { id name } }', user('u1'))).toEqual([]);
    expect(decide('{ user(id: "u2") { name email orders { id } } }', user('u1'))).toEqual([
      'User.email not_owner',
      'User.orders not_owner',
      'Order.id not_owner',
    ]);
    expect(decide('{ user(id: "u1") { email orders { id user { email } } } }', user('u1'))).toEqual([]);
  });

  it('reads variables, compares IDs as strings, and needs every id of a list to be the caller’s', () => {
    expect(decide('query ($id: ID!) { user(id: $id) { email } }', user('7'), { id: 7 })).toEqual([]);
    expect(decide('query ($id: ID!) { user(id: $id) { email } }', user('u1'), { id: 'u2' })).toEqual(['User.email not_owner']);
    // A variable left out takes its default; an explicit null does not.
    expect(decide('query ($id: ID = "u1") { user(id: $id) { email } }', user('u1'))).toEqual([]);
    expect(decide('query ($id: ID = "u2") { user(id: $id) { email } }', user('u1'))).toEqual(['User.email not_owner']);
    expect(decide('query ($id: ID = "u1") { user(id: $id) { email } }', user('u1'), { id: null })).toEqual(['User.email not_owner']);
    expect(decide('{ usersByIds(ids: ["u1", "u1"]) { email } }', user('u1'))).toEqual([]);
    expect(decide('{ usersByIds(ids: ["u1", "u2"]) { email } }', user('u1'))).toEqual(['Query.usersByIds not_owner', 'User.email not_owner']);
  });

  it('decides a fragment per place it is spread: owned under one root, not under the other', () => {
    const query = '{ me: user(id: "u1") { ...C } other: user(id: "u2") { ...C } } fragment C on User { email }';
    expect(decide(query, user('u1'))).toEqual(['User.email not_owner']);
    expect(decide(query, user('u2'))).toEqual(['User.email not_owner']);
    expect(decide(query, user('x', ['admin']))).toEqual([]);
  });

  it('denies an owned type reached where no argument names its owner, unless the caller bypasses', () => {
    expect(decide('{ users { name email } }', user('u1', ['admin']))).toEqual([]);
    // orders' bypass list is empty: even an admin cannot see orders reached owner-blind.
    expect(decide('{ users { orders { id } } }', user('u1', ['admin']))).toEqual(['User.orders owner_unknown', 'Order.id owner_unknown']);
  });

  it('lets a fill argument the caller leaves out hold, and refuses one naming someone else', () => {
    expect(decide('{ orders { id } }', user('u1'))).toEqual([]);
    expect(decide('{ orders(userId: "u2") { id } }', user('u1'))).toEqual(['Query.orders not_owner', 'Order.id not_owner']);
    expect(decide('{ orders(userId: "u1") { id } }', user('u1'))).toEqual([]);
  });

  it('fills the left-out owner argument through a variable, one rewritten document per shape', () => {
    const fill = createOwnerFiller();
    const document = parse('query Mine($porticoOwner_sub: Int) { orders { id } }');
    const { fills } = ownerGuardsOf(schema, document, getOperationAST(document)!, rules, policy);
    const first = fill(document, 'Mine', fills, user('u1'), NO_BYPASS)!;
    expect(print(first.document)).toContain('query Mine($porticoOwner_sub: Int, $porticoOwner_sub_2: ID) {\n  orders(userId: $porticoOwner_sub_2)');
    expect(first.variables).toEqual({ porticoOwner_sub_2: 'u1' });
    const second = fill(document, 'Mine', fills, user('u9'), NO_BYPASS)!;
    expect(second.document).toBe(first.document);
    expect(second.variables).toEqual({ porticoOwner_sub_2: 'u9' });
    // A caller who bypasses the rule gets the document as written: every user's orders.
    expect(fill(document, 'Mine', fills, user('ops', [], ['orders:all']), { roles: [], scopes: ['orders:all'] })).toBeUndefined();
  });
});
