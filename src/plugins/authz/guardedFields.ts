import {
  Kind,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { FieldRule } from './fieldRule.js';

/** A field of the operation that not everyone may read. */
export interface GuardedField {
  node: FieldNode;
  /** "Type.field" in the BFF's schema. */
  coordinate: string;
  rule: FieldRule;
  /** The field's definition: `@policy` functions are handed its coerced arguments. */
  definition: GraphQLField<unknown, unknown>;
}

/**
 * The non-public fields an operation can reach, each AST node once. A field node's parent type
 * is fixed by where it is written (a fragment has its own type condition), so whether it is
 * denied depends only on the node and the caller, never on the path it is reached by: one walk
 * that visits each fragment once is enough, however often the fragment is spread.
 */
export function guardedFieldsOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rules: ReadonlyMap<string, FieldRule>,
): GuardedField[] {
  const fragments = fragmentsOf(document);
  const seenFragments = new Set<string>();
  const guarded: GuardedField[] = [];
  const root = schema.getRootType(operation.operation);
  if (!root) return guarded;

  const walk = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        // __typename, __schema, __type: meta fields, left to production mode.
        if (name.startsWith('__')) continue;
        if (!isObjectType(parent) && !isInterfaceType(parent)) continue;
        const field = parent.getFields()[name];
        if (!field) continue;
        const coordinate = `${parent.name}.${name}`;
        const rule = rules.get(coordinate);
        if (rule && !rule.public) guarded.push({ node: selection, coordinate, rule, definition: field });
        const type = getNamedType(field.type);
        if (selection.selectionSet && isCompositeType(type)) walk(selection.selectionSet, type);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) walk(selection.selectionSet, type);
      } else {
        const name = selection.name.value;
        if (seenFragments.has(name)) continue;
        seenFragments.add(name);
        const fragment = fragments.get(name);
        const type = fragment && schema.getType(fragment.typeCondition.name.value);
        if (fragment && type && isCompositeType(type)) walk(fragment.selectionSet, type);
      }
    }
  };
  walk(operation.selectionSet, root);
  return guarded;
}

export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

/**
 * The response paths (aliases, no list indices) at which denied nodes appear, for the error of a
 * refused request. Fragments are expanded here, so the walk is bounded: at most `maxPaths`
 * paths and `maxSteps` selections visited; a node the budget did not reach is still reported,
 * without a path. Denied fields under a denied field are not reported: one line per thing the
 * client must drop.
 */
export function deniedPathsOf(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  denied: ReadonlySet<FieldNode>,
  budget: { maxPaths: number; maxSteps: number } = { maxPaths: 50, maxSteps: 10_000 },
): { node: FieldNode; path?: string[] }[] {
  const fragments = fragmentsOf(document);
  const found: { node: FieldNode; path?: string[] }[] = [];
  const seen = new Set<string>();
  // Denied nodes under a denied field: the client cannot get them anyway, so not worth a line.
  const covered = new Set<FieldNode>();
  let steps = 0;
  const cover = (selectionSet: SelectionSetNode, spreading: Set<string>): void => {
    for (const selection of selectionSet.selections) {
      if (++steps > budget.maxSteps) return;
      if (selection.kind === Kind.FIELD) {
        if (denied.has(selection)) covered.add(selection);
        if (selection.selectionSet) cover(selection.selectionSet, spreading);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        cover(selection.selectionSet, spreading);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || spreading.has(fragment.name.value)) continue;
        spreading.add(fragment.name.value);
        cover(fragment.selectionSet, spreading);
        spreading.delete(fragment.name.value);
      }
    }
  };
  const walk = (selectionSet: SelectionSetNode, path: string[], spreading: Set<string>): void => {
    for (const selection of selectionSet.selections) {
      if (found.length >= budget.maxPaths || ++steps > budget.maxSteps) return;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        if (denied.has(selection)) {
          const at = [...path, key];
          const id = at.join('\u0000');
          if (!seen.has(id)) {
            seen.add(id);
            found.push({ node: selection, path: at });
          }
          if (selection.selectionSet) cover(selection.selectionSet, new Set(spreading));
        } else if (selection.selectionSet) {
          walk(selection.selectionSet, [...path, key], spreading);
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, path, spreading);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || spreading.has(name)) continue;
        spreading.add(name);
        walk(fragment.selectionSet, path, spreading);
        spreading.delete(name);
      }
    }
  };
  walk(operation.selectionSet, [], new Set());
  const reached = new Set(found.map((entry) => entry.node));
  for (const node of denied) if (!reached.has(node) && !covered.has(node)) found.push({ node });
  return found;
}
