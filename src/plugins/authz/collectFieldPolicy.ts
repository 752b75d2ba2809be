import { valueFromASTUntyped, type ConstDirectiveNode, type FieldDefinitionNode } from 'graphql';
import { AUTHENTICATED, PUBLIC, bothRules, type FieldRule } from './fieldRule.js';
import { policyDefinitions, type PolicySdl } from './policyDefinitions.js';
import { policyDirectiveNames } from './policyDirectives.js';

export type { PolicySdl } from './policyDefinitions.js';

/**
 * Reads `@public`, `@auth`/`@authenticated`, `@requiresScopes` and `@policy` from every SDL into one rule
 * per field coordinate ("Type.field", under the BFF's names). A field several SDLs declare
 * (merged types) takes all of their rules at once; an SDL that states none for it defers to
 * the others. Coordinates no SDL states a rule for are absent: the BFF's default applies.
 * Every mistake (unknown argument, empty scope list, `@public` next to a requirement) throws
 * with the SDL, type and field named, so a policy typo stops start-up instead of opening data.
 */
export function collectFieldPolicy(sdls: readonly PolicySdl[]): Map<string, FieldRule> {
  const declared = new Map<string, FieldRule>();
  for (const { sdl: { origin, rename }, definition } of policyDefinitions(sdls)) {
    const typeName = definition.name.value;
    const typeRule = ruleOf(definition.directives, `${origin}: ${typeName}`);
    for (const field of definition.fields ?? []) {
      const where = `${origin}: ${typeName}.${field.name.value}`;
      const fieldRule = ruleOf(field.directives, where);
      if (typeRule && !typeRule.public && fieldRule?.public) {
        throw new Error(`${where}: @public has no effect on a field of a type that requires authentication; move the field or the type's rule`);
      }
      const rule = typeRule && fieldRule ? bothRules(typeRule, fieldRule) : (fieldRule ?? typeRule);
      if (!rule) continue;
      const coordinate = `${typeName}.${servedName(typeName, field, rename)}`;
      const previous = declared.get(coordinate);
      declared.set(coordinate, previous ? bothRules(previous, rule) : rule);
    }
  }
  return declared;
}

function servedName(typeName: string, field: FieldDefinitionNode, rename: PolicySdl['rename']): string {
  return rename?.[`${typeName}.${field.name.value}`] ?? field.name.value;
}

function ruleOf(directives: readonly ConstDirectiveNode[] | undefined, where: string): FieldRule | undefined {
  let rule: FieldRule | undefined;
  let isPublic = false;
  for (const directive of directives ?? []) {
    const name = directive.name.value;
    if (!policyDirectiveNames.has(name)) continue;
    const args = argumentsOf(directive);
    let next: FieldRule;
    if (name === 'public') {
      expectArguments(args, [], name, where);
      isPublic = true;
      next = PUBLIC;
    } else if (name === 'auth' || name === 'authenticated') {
      expectArguments(args, name === 'auth' ? ['requires'] : [], name, where);
      const roles = args.requires === undefined || args.requires === null ? [] : stringList(args.requires, `@${name}(requires:)`, where);
      next = roles.length === 0 ? AUTHENTICATED : { public: false, roles, scopes: [] };
    } else if (name === 'policy') {
      expectArguments(args, ['policies'], name, where);
      next = { public: false, roles: [], scopes: [], policies: [alternativesOf(args.policies, 'policy', 'policies', where)] };
    } else {
      expectArguments(args, ['scopes'], name, where);
      next = { public: false, roles: [], scopes: [alternativesOf(args.scopes, 'requiresScopes', 'scopes', where)] };
    }
    rule = rule ? bothRules(rule, next) : next;
  }
  if (isPublic && rule && !rule.public) {
    throw new Error(`${where}: @public cannot stand next to @auth, @requiresScopes or @policy; keep the one you mean`);
  }
  return rule;
}

function argumentsOf(directive: ConstDirectiveNode): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const argument of directive.arguments ?? []) {
    args[argument.name.value] = valueFromASTUntyped(argument.value);
  }
  return args;
}

function expectArguments(args: Record<string, unknown>, allowed: readonly string[], name: string, where: string): void {
  for (const key of Object.keys(args)) {
    if (!allowed.includes(key)) {
      throw new Error(`${where}: @${name} has no argument "${key}"${allowed.length ? ` (it takes ${allowed.join(', ')})` : ''}`);
    }
  }
}

/** GraphQL input coercion: a single value where a list is expected is a list of one. */
function stringList(value: unknown, what: string, where: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  for (const item of list) {
    if (typeof item !== 'string' || item === '') throw new Error(`${where}: ${what} must be non-empty strings`);
  }
  return list as string[];
}

/** `[["a", "b"], ["c"]]` of `@requiresScopes(scopes:)` or `@policy(policies:)`: a and b, or c. */
function alternativesOf(value: unknown, directive: string, argument: string, where: string): string[][] {
  const example = directive === 'policy' ? '[["isTeamMember"]]' : '[["orders:read"]]';
  if (value === undefined || value === null) throw new Error(`${where}: @${directive} needs ${argument}, e.g. ${argument}: ${example}`);
  const outer = Array.isArray(value) ? value : [value];
  if (outer.length === 0) throw new Error(`${where}: @${directive}(${argument}: []) would let no one in; list at least one set of ${argument}`);
  return outer.map((inner) => {
    const all = stringList(inner, `@${directive}(${argument}:) entries`, where);
    if (all.length === 0) throw new Error(`${where}: an empty ${directive === 'policy' ? 'policy' : 'scope'} set would let any authenticated caller in; use @auth for that`);
    return all;
  });
}
