import { describe, expect, it } from 'vitest';
import { checkPolicyFunctions } from '../../../src/plugins/authz/checkPolicyFunctions.js';

// A policy name an SDL uses without a function is a start-up error naming the SDL's file, the
// field and the policies module (issue 22), never a field that silently denies or allows.

const sdl = (text: string) => [{ origin: 'source users', file: 'schemas/users.graphql', sdl: text }];
const allow = () => true;

describe('checkPolicyFunctions', () => {
  it('returns the module\'s functions when every name used has one', () => {
    const policies = { a: allow, b: allow };
    expect(checkPolicyFunctions(sdl('type Query { x: Int @policy(policies: [["a", "b"]]) }'), { policies }, 'bffs/web/policies.ts')).toBe(policies);
  });

  it('names the SDL file, the field and the module for a name with no function', () => {
    expect(() => checkPolicyFunctions(sdl('type User { id: ID! email: String @policy(policies: [["a"], ["missing"]]) }'), { policies: { a: allow } }, 'bffs/web/policies.ts')).toThrow(
      'schemas/users.graphql: User.email: @policy names "missing", but bffs/web/policies.ts exports no such policy function',
    );
  });

  it('names the type for a type-level @policy', () => {
    expect(() => checkPolicyFunctions(sdl('type Tenant @policy(policies: [["member"]]) { id: ID! }'), { policies: {} }, 'bffs/web/policies.ts')).toThrow(/^schemas\/users\.graphql: Tenant: @policy names "member"/);
  });

  it('asks for a policies module when the BFF has none', () => {
    expect(() => checkPolicyFunctions(sdl('type Query { x: Int @policy(policies: [["a"]]) }'), undefined, undefined)).toThrow(
      'schemas/users.graphql: Query.x: @policy names "a", but the BFF has no policies module (set "policies" in its bff.config.ts)',
    );
  });

  it('refuses a module without a `policies` object, or with a non-function entry', () => {
    expect(() => checkPolicyFunctions(sdl('type Query { x: Int }'), { default: {} }, 'bffs/web/policies.ts')).toThrow(/bffs\/web\/policies\.ts: a policies module exports `policies`/);
    expect(() => checkPolicyFunctions(sdl('type Query { x: Int }'), { policies: { a: 'yes' } }, 'bffs/web/policies.ts')).toThrow('bffs/web/policies.ts: policies.a is not a function');
  });

  it('needs nothing from a BFF whose SDLs use no @policy', () => {
    expect(checkPolicyFunctions(sdl('type Query { x: Int @requiresScopes(scopes: [["a"]]) }'), undefined, undefined)).toEqual({});
  });
});
