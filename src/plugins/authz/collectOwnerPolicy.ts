import { Kind, valueFromASTUntyped, type ConstDirectiveNode, type FieldDefinitionNode } from 'graphql';
import { policyDefinitions, type PolicySdl } from './policyDefinitions.js';
import { OWNER_CLAIMS, type OwnerArgRule, type OwnerBypass, type OwnerClaim, type OwnerPolicy, type OwnerTypeRule } from './ownerRule.js';

const OWNER = 'owner';

/**
 * Reads `@owner` from every SDL behind a BFF: on a field, `arg` names the argument that names
 * the owner; on a type, `field` names where an object's owner is in the data. Each rule is
 * checked against the SDL that states it (the argument exists, a `fill` argument is optional,
 * the field exists, the claim is one the gateway knows), and a mistake throws with the SDL, type
 * and field named: a typo in an ownership rule stops start-up instead of opening data.
 */
export function collectOwnerPolicy(sdls: readonly PolicySdl[]): OwnerPolicy {
  const fields = new Map<string, OwnerArgRule[]>();
  const types = new Map<string, OwnerTypeRule[]>();
  for (const { sdl: { origin, rename }, definition } of policyDefinitions(sdls)) {
    const typeName = definition.name.value;
    for (const directive of ownerDirectives(definition.directives)) {
      const rule = typeRule(directive, definition.fields ?? [], `${origin}: ${typeName}`);
      types.set(typeName, [...(types.get(typeName) ?? []), rule]);
    }
    for (const field of definition.fields ?? []) {
      for (const directive of ownerDirectives(field.directives)) {
        const rule = argRule(directive, field, `${origin}: ${typeName}.${field.name.value}`);
        const coordinate = `${typeName}.${rename?.[`${typeName}.${field.name.value}`] ?? field.name.value}`;
        fields.set(coordinate, [...(fields.get(coordinate) ?? []), rule]);
      }
    }
  }
  return { fields, types };
}

function ownerDirectives(directives: readonly ConstDirectiveNode[] | undefined): ConstDirectiveNode[] {
  return (directives ?? []).filter((directive) => directive.name.value === OWNER);
}

function argRule(directive: ConstDirectiveNode, field: FieldDefinitionNode, where: string): OwnerArgRule {
  const args = argumentsOf(directive, ['arg', 'claim', 'fill', 'bypassRoles', 'bypassScopes'], where);
  if (typeof args.arg !== 'string' || args.arg === '') {
    throw new Error(`${where}: @owner on a field needs arg, the argument that names the owner (e.g. @owner(arg: "id", claim: "sub"))`);
  }
  const argument = field.arguments?.find((candidate) => candidate.name.value === args.arg);
  if (!argument) {
    const known = (field.arguments ?? []).map((candidate) => candidate.name.value);
    throw new Error(`${where}: @owner(arg: "${args.arg}"): the field has no such argument${known.length ? ` (it has ${known.join(', ')})` : ''}`);
  }
  const fill = args.fill === undefined || args.fill === null ? false : args.fill;
  if (typeof fill !== 'boolean') throw new Error(`${where}: @owner(fill:) must be true or false`);
  if (fill && argument.type.kind === Kind.NON_NULL_TYPE) {
    throw new Error(`${where}: @owner(fill: true) fills an argument the caller leaves out, but "${args.arg}" is required; make it optional or drop fill`);
  }
  return { arg: args.arg, claim: claimOf(args.claim, where), fill, bypass: bypassOf(args, where) };
}

function typeRule(directive: ConstDirectiveNode, fields: readonly FieldDefinitionNode[], where: string): OwnerTypeRule {
  const args = argumentsOf(directive, ['field', 'claim', 'bypassRoles', 'bypassScopes'], where);
  if (typeof args.field !== 'string' || args.field === '') {
    throw new Error(`${where}: @owner on a type needs field, where an object's owner is (e.g. @owner(field: "id", claim: "sub"))`);
  }
  const first = args.field.split('.')[0];
  if (!fields.some((field) => field.name.value === first)) {
    throw new Error(`${where}: @owner(field: "${args.field}"): the type declares no field "${first}" here`);
  }
  return { field: args.field, claim: claimOf(args.claim, where), bypass: bypassOf(args, where) };
}

function argumentsOf(directive: ConstDirectiveNode, allowed: readonly string[], where: string): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const argument of directive.arguments ?? []) {
    const name = argument.name.value;
    if (!allowed.includes(name)) throw new Error(`${where}: @owner here has no argument "${name}" (it takes ${allowed.join(', ')})`);
    args[name] = valueFromASTUntyped(argument.value);
  }
  return args;
}

function claimOf(value: unknown, where: string): OwnerClaim {
  const claim = value === undefined || value === null ? 'sub' : value;
  if (!(OWNER_CLAIMS as readonly unknown[]).includes(claim)) {
    throw new Error(`${where}: @owner(claim: ${JSON.stringify(claim)}): the gateway compares with ${OWNER_CLAIMS.join(' or ')} only`);
  }
  return claim as OwnerClaim;
}

function bypassOf(args: Record<string, unknown>, where: string): OwnerBypass {
  const list = (value: unknown, what: string): string[] => {
    if (value === undefined || value === null) return [];
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) if (typeof item !== 'string' || item === '') throw new Error(`${where}: @owner(${what}:) must be non-empty strings`);
    return items as string[];
  };
  return { roles: list(args.bypassRoles, 'bypassRoles'), scopes: list(args.bypassScopes, 'bypassScopes') };
}
