import {
  Kind,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  valueFromASTUntyped,
  type DocumentNode,
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Principal } from '../../context/principal.js';
import type { FieldRule } from './fieldRule.js';
import { fragmentsOf } from './guardedFields.js';
import { bypasses, claimOf, namesOwner, type OwnerArgRule, type OwnerBypass, type OwnerPolicy, type OwnerTypeRule } from './ownerRule.js';

/** A field of the operation written with owner arguments, which the caller's claim must match. */
export interface OwnerCheck {
  node: FieldNode;
  rules: readonly OwnerArgRule[];
}

/** A non-public field whose reading depends on ownership, as reached along one path. */
export interface OwnerGuard {
  node: FieldNode;
  /** "Type.field" in the BFF's schema. */
  coordinate: string;
  /** The owner arguments on the way down (the field's own included): every one must hold. */
  checks: readonly OwnerCheck[];
  /** Owned types on the way down that no owner argument of their claim vouches for. */
  unproven: readonly OwnerTypeRule[];
}

export interface OwnerAnalysis {
  guards: OwnerGuard[];
  /** The operation's variable defaults: an owner argument `$id` the request leaves out takes its default. */
  variableDefaults: Record<string, unknown>;
  /** Fields with a `fill` owner argument the document leaves out: the gateway fills them. */
  fills: Map<FieldNode, OwnerFill[]>;
}

/** One owner argument to fill: the rule and the argument's type in the schema ("ID"). */
export interface OwnerFill {
  rule: OwnerArgRule;
  type: string;
}

/**
 * Walks an operation for ownership. Unlike a field's own rule, ownership depends on the path: the
 * same fragment spread under `me: user(id: "u1")` and `other: user(id: "u2")` is owned in one
 * place and not in the other. So fragments are expanded, and visited once per distinct chain of
 * owner arguments above them (the only thing the decision depends on), which keeps the walk
 * bounded by the document's depth limit rather than by how often fragments are spread.
 *
 * Only non-public fields are guarded: ownership is a condition on top of a field's own rule, so
 * a public profile (`user(id: "u2") { name }`) stays public.
 */
export function ownerGuardsOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rules: ReadonlyMap<string, FieldRule>,
  policy: OwnerPolicy,
): OwnerAnalysis {
  const analysis: OwnerAnalysis = { guards: [], fills: new Map(), variableDefaults: {} };
  if (policy.fields.size === 0 && policy.types.size === 0) return analysis;
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue) analysis.variableDefaults[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue);
  }
  const root = schema.getRootType(operation.operation);
  if (!root) return analysis;
  const fragments = fragmentsOf(document);
  const checkIds = new Map<FieldNode, number>();
  const ruleIds = new Map<OwnerTypeRule, number>();
  const idOf = (rule: OwnerTypeRule) => {
    let id = ruleIds.get(rule);
    if (id === undefined) ruleIds.set(rule, (id = ruleIds.size));
    return id;
  };
  const visited = new Set<string>();

  const walk = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, checks: readonly OwnerCheck[], unproven: readonly OwnerTypeRule[]): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name.startsWith('__') || (!isObjectType(parent) && !isInterfaceType(parent))) continue;
        const field = parent.getFields()[name];
        if (!field) continue;
        const coordinate = `${parent.name}.${name}`;
        let here = checks;
        const argRules = policy.fields.get(coordinate);
        if (argRules) {
          const check = { node: selection, rules: argRules };
          if (!checkIds.has(selection)) checkIds.set(selection, checkIds.size);
          here = [...checks, check];
          for (const rule of argRules) {
            if (!rule.fill || selection.arguments?.some((argument) => argument.name.value === rule.arg)) continue;
            const argument = field.args.find((candidate) => candidate.name === rule.arg);
            if (!argument) continue;
            const fills = analysis.fills.get(selection) ?? [];
            if (!fills.some((fill) => fill.rule === rule)) fills.push({ rule, type: String(argument.type) });
            analysis.fills.set(selection, fills);
          }
        }
        const type = getNamedType(field.type);
        let under = unproven;
        for (const typeRule of policy.types.get(type.name) ?? []) {
          // An owner argument of the same claim on the way down names this object's owner.
          const vouched = here.some((check) => check.rules.some((rule) => rule.claim === typeRule.claim));
          if (!vouched) under = [...under, typeRule];
        }
        const rule = rules.get(coordinate);
        if (rule && !rule.public && (here.length > 0 || under.length > 0)) {
          analysis.guards.push({ node: selection, coordinate, checks: here, unproven: under });
        }
        if (selection.selectionSet && isCompositeType(type)) walk(selection.selectionSet, type, here, under);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) walk(selection.selectionSet, type, checks, unproven);
      } else {
        const fragment = fragments.get(selection.name.value);
        const type = fragment && schema.getType(fragment.typeCondition.name.value);
        if (!fragment || !type || !isCompositeType(type)) continue;
        const key = `${fragment.name.value}\u0000${checks.map((check) => checkIds.get(check.node)).join(',')}\u0000${unproven.map(idOf).join(',')}`;
        if (visited.has(key)) continue;
        visited.add(key);
        walk(fragment.selectionSet, type, checks, unproven);
      }
    }
  };
  walk(operation.selectionSet, root, [], []);
  return analysis;
}

/** Why ownership denies a field: an owner argument names someone else, or nothing names the owner. */
export type OwnerDenial = 'not_owner' | 'owner_unknown';

/**
 * Decides one guard for one caller and the request's variables. A caller holding a bypass role
 * or scope (the rule's own or the BFF's) skips the rule. A `fill` argument the document leaves
 * out holds for a caller with the claim: the gateway fills it with that claim.
 */
export function ownerDenial(
  guard: OwnerGuard,
  principal: Principal,
  variables: Readonly<Record<string, unknown>> | undefined,
  bffBypass: OwnerBypass,
): OwnerDenial | undefined {
  for (const check of guard.checks) {
    for (const rule of check.rules) {
      if (bypasses(principal, rule.bypass, bffBypass)) continue;
      const claim = claimOf(principal, rule.claim);
      const argument = check.node.arguments?.find((candidate) => candidate.name.value === rule.arg);
      if (!argument) {
        if (rule.fill && claim !== undefined) continue;
        return 'not_owner';
      }
      if (!namesOwner(valueFromASTUntyped(argument.value, variables as Record<string, unknown> | undefined), claim)) return 'not_owner';
    }
  }
  for (const rule of guard.unproven) {
    if (!bypasses(principal, rule.bypass, bffBypass)) return 'owner_unknown';
  }
  return undefined;
}
