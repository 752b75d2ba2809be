import { Kind, parseType, visit, type DocumentNode, type FieldNode, type VariableDefinitionNode } from 'graphql';
import type { Principal } from '../../context/principal.js';
import type { OwnerFill } from './ownerGuards.js';
import { bypasses, claimOf, type OwnerBypass, type OwnerClaim } from './ownerRule.js';

export interface FilledDocument {
  document: DocumentNode;
  /** Variables to add to the request's: one per claim filled in. */
  variables: Record<string, string>;
}

/**
 * The document with every `fill` owner argument the client left out set to the caller's claim,
 * through a variable (`orders(first: 2)` runs as `orders(first: 2, userId: $porticoOwner_sub)`),
 * so the source itself returns only the caller's data. The rewrite depends on the document and
 * on which rules the caller bypasses, never on the claim's value, so it is made once per
 * document and kept: the planner and every later cache see one document object per shape.
 * Callers who bypass a rule keep the argument out and see everyone's data. Undefined when
 * nothing is filled for this caller.
 */
export function createOwnerFiller() {
  const cache = new WeakMap<DocumentNode, Map<string, DocumentNode>>();
  return function fillOwnerArguments(
    document: DocumentNode,
    operationName: string | null | undefined,
    fills: ReadonlyMap<FieldNode, readonly OwnerFill[]>,
    principal: Principal,
    bffBypass: OwnerBypass,
    /** Nodes the document will lose (denied in 'null' mode): nothing to fill there. */
    skip?: ReadonlySet<FieldNode>,
  ): FilledDocument | undefined {
    const chosen = new Map<FieldNode, OwnerFill[]>();
    const claims = new Set<OwnerClaim>();
    const signature: number[] = [];
    let index = 0;
    for (const [node, list] of fills) {
      for (const fill of list) {
        index++;
        if (skip?.has(node) || bypasses(principal, fill.rule.bypass, bffBypass) || claimOf(principal, fill.rule.claim) === undefined) continue;
        chosen.set(node, [...(chosen.get(node) ?? []), fill]);
        claims.add(fill.rule.claim);
        signature.push(index);
      }
    }
    if (chosen.size === 0) return undefined;
    const names = variableNames(document, claims);
    const variables: Record<string, string> = {};
    for (const [claim, name] of names) variables[name] = claimOf(principal, claim)!;

    const key = `${operationName ?? ''}\u0000${signature.join(',')}`;
    let byKey = cache.get(document);
    if (!byKey) cache.set(document, (byKey = new Map()));
    let filled = byKey.get(key);
    if (!filled) {
      const types = new Map<string, string>();
      for (const list of chosen.values()) for (const fill of list) types.set(names.get(fill.rule.claim)!, fill.type);
      const definitions: VariableDefinitionNode[] = [...types].map(([name, type]) => ({
        kind: Kind.VARIABLE_DEFINITION,
        variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: name } },
        type: parseType(type),
      }));
      let operations = 0;
      filled = visit(document, {
        OperationDefinition(node) {
          // The executed operation only: graphql-js coerces the variables it defines.
          if (operationName ? node.name?.value !== operationName : operations++ > 0) return undefined;
          return { ...node, variableDefinitions: [...(node.variableDefinitions ?? []), ...definitions] };
        },
        Field(node) {
          const list = chosen.get(node);
          if (!list) return undefined;
          return {
            ...node,
            arguments: [
              ...(node.arguments ?? []),
              ...list.map((fill) => ({
                kind: Kind.ARGUMENT as const,
                name: { kind: Kind.NAME as const, value: fill.rule.arg },
                value: { kind: Kind.VARIABLE as const, name: { kind: Kind.NAME as const, value: names.get(fill.rule.claim)! } },
              })),
            ],
          };
        },
      });
      byKey.set(key, filled);
    }
    return { document: filled, variables };
  };
}

/** `porticoOwner_sub`, or with a suffix when the client's document already uses that name. */
function variableNames(document: DocumentNode, claims: ReadonlySet<OwnerClaim>): Map<OwnerClaim, string> {
  const taken = new Set<string>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const variable of definition.variableDefinitions ?? []) taken.add(variable.variable.name.value);
  }
  const names = new Map<OwnerClaim, string>();
  for (const claim of claims) {
    let name = `porticoOwner_${claim}`;
    for (let n = 2; taken.has(name); n++) name = `porticoOwner_${claim}_${n}`;
    taken.add(name);
    names.set(claim, name);
  }
  return names;
}
