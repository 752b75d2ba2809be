/**
 * The authorization directives, as SDL. A source's SDL in schemas/ declares the ones it uses
 * (the file is the upstream's own schema, so its service must know them too); a BFF's typeDefs
 * can prepend this text. docs/authorization.md is the reference.
 *
 * - `@public`: anyone may read it, anonymous callers included.
 * - `@auth`: the caller must be authenticated; `requires` lists roles it must all hold.
 * - `@requiresScopes`: the caller must hold all scopes of at least one inner list
 *   (Apollo Federation's semantics: `[["a", "b"], ["c"]]` is a and b, or c).
 *
 * On a type they apply to every field that definition (or extension) declares, together with
 * the field's own (both must hold, as in Apollo Federation); so `@public` on a field of a type
 * that requires something would do nothing, and is refused at start-up. Federation's own
 * `@authenticated` reads as `@auth`.
 *
 * - `@policy`: named policy functions the BFF team writes (`policies` in its config) must allow
 *   it: `[["a", "b"], ["c"]]` is a and b, or c, as Apollo defines it; decided before any source
 *   call, once per request and field (src/plugins/authz/evaluatePolicies.ts).
 * - `@owner`: ownership on top of those (src/plugins/authz/ownerRule.ts). On a field, `arg` names
 *   the argument that names the owner of what the field returns; it must equal the caller's
 *   `claim` (`sub` or `tenant`), and with `fill: true` an optional argument the caller leaves
 *   out is filled with it. On a type, `field` says where an object's owner is; such objects
 *   must be reached under an owner argument of the same claim. It governs non-public fields
 *   only, and `bypassRoles`/`bypassScopes` name who skips it.
 */
export const policyDirectiveDefinitions = /* GraphQL */ `
directive @public on OBJECT | INTERFACE | FIELD_DEFINITION
directive @auth(requires: [String!]) on OBJECT | INTERFACE | FIELD_DEFINITION
directive @requiresScopes(scopes: [[String!]!]!) on OBJECT | INTERFACE | FIELD_DEFINITION
directive @policy(policies: [[String!]!]!) on OBJECT | INTERFACE | FIELD_DEFINITION
directive @owner(arg: String, field: String, claim: String = "sub", fill: Boolean = false, bypassRoles: [String!], bypassScopes: [String!]) on OBJECT | INTERFACE | FIELD_DEFINITION
`;

export const policyDirectiveNames: ReadonlySet<string> = new Set(['public', 'auth', 'authenticated', 'requiresScopes', 'policy']);
