import {
  Kind,
  type DirectiveNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { SupergraphModel } from './supergraphModel.js';

/** A client field, with fragments of its own type folded in and `@skip`/`@include` applied. */
export interface NormalField {
  kind: 'field';
  /** The key the field has in the response: its alias, or its name. */
  responseKey: string;
  name: string;
  /** The client's node: its alias and arguments go to the subgraph as written. */
  node: FieldNode;
  /** Absent for leaves. */
  selections?: NormalSelection[];
}

/** A fragment on an object type inside an abstract (interface or union) selection. */
export interface NormalFragment {
  kind: 'fragment';
  typeName: string;
  selections: NormalSelection[];
}

export type NormalSelection = NormalField | NormalFragment;

/** Thrown for anything the planner leaves to stitching; the message says what. */
export class NotPlannable extends Error {
  override readonly name = 'NotPlannable';
}

/**
 * The variables whose values decide `@skip`/`@include` in a document: a plan is made for one
 * combination of their values, so these values are part of the plan cache key.
 */
export function conditionVariables(selectionSets: Iterable<SelectionSetNode>): string[] {
  const names = new Set<string>();
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      for (const directive of selection.directives ?? []) {
        if (directive.name.value !== 'skip' && directive.name.value !== 'include') continue;
        const condition = directive.arguments?.find((a) => a.name.value === 'if')?.value;
        if (condition?.kind === Kind.VARIABLE) names.add(condition.name.value);
      }
      if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) visit(selection.selectionSet);
    }
  };
  for (const set of selectionSets) visit(set);
  return [...names].sort();
}

/**
 * Rewrites a selection set on `parentType` into the planner's shape: named and inline
 * fragments that always apply are folded into their parent, fragments on object types inside
 * abstract types are kept with their type, and `@skip`/`@include` are decided with `conditions`.
 */
export function normalizeSelections(
  model: SupergraphModel,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  conditions: Readonly<Record<string, unknown>>,
  parentType: string,
  selectionSet: SelectionSetNode,
): NormalSelection[] {
  const parent = model.types.get(parentType);
  if (!parent) throw new NotPlannable(`type ${parentType} is not in the supergraph`);
  const out: NormalSelection[] = [];
  for (const selection of selectionSet.selections) {
    if (!included(selection.directives, conditions)) continue;
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      const responseKey = selection.alias?.value ?? name;
      // Planned fields carry internal aliases with this prefix; a client alias using it could
      // make a representation read the client's data.
      if (responseKey.startsWith(INTERNAL_ALIAS_PREFIX)) throw new NotPlannable(`alias ${responseKey}`);
      if (name === '__typename') {
        out.push({ kind: 'field', responseKey, name, node: selection });
        continue;
      }
      if (name.startsWith('__')) throw new NotPlannable('introspection');
      const field = parent.fields.get(name);
      if (!field) throw new NotPlannable(`${parentType}.${name} is not in the supergraph`);
      const normal: NormalField = { kind: 'field', responseKey, name, node: selection };
      if (selection.selectionSet) {
        normal.selections = normalizeSelections(model, fragments, conditions, field.type, selection.selectionSet);
        // Everything below skipped by @skip/@include: the field is still asked for (its value
        // is `{}` or null), and a subgraph refuses an empty selection set.
        if (normal.selections.length === 0) normal.selections.push({ kind: 'field', responseKey: '__typename', name: '__typename', node: typenameField });
      }
      out.push(normal);
      continue;
    }
    let typeCondition: string;
    let inner: SelectionSetNode;
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      typeCondition = selection.typeCondition?.name.value ?? parentType;
      inner = selection.selectionSet;
    } else {
      const fragment = fragments.get(selection.name.value);
      if (!fragment) throw new NotPlannable(`unknown fragment ${selection.name.value}`);
      if (!included(fragment.directives, conditions)) continue;
      typeCondition = fragment.typeCondition.name.value;
      inner = fragment.selectionSet;
    }
    const condition = model.types.get(typeCondition);
    if (!condition) throw new NotPlannable(`type ${typeCondition} is not in the supergraph`);
    // Validation guarantees the fragment can apply; on an object parent it then always applies.
    if (typeCondition === parentType || parent.kind === 'object') {
      out.push(...normalizeSelections(model, fragments, conditions, parentType, inner));
    } else if (condition.kind === 'object') {
      out.push({ kind: 'fragment', typeName: typeCondition, selections: normalizeSelections(model, fragments, conditions, typeCondition, inner) });
    } else {
      throw new NotPlannable(`fragment on ${typeCondition} inside ${parentType}`);
    }
  }
  return out;
}

const typenameField: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };

/** Response keys the planner adds for keys and `@requires` fields start with this. */
export const INTERNAL_ALIAS_PREFIX = '__pq_';

function included(directives: readonly DirectiveNode[] | undefined, conditions: Readonly<Record<string, unknown>>): boolean {
  if (!directives?.length) return true;
  for (const directive of directives) {
    const name = directive.name.value;
    if (name === 'skip' || name === 'include') {
      const value = conditionValue(directive, conditions);
      if (name === 'skip' ? value : !value) return false;
    } else {
      // @defer, @stream and any other executable directive change how a response is built.
      throw new NotPlannable(`@${name}`);
    }
  }
  return true;
}

function conditionValue(directive: DirectiveNode, conditions: Readonly<Record<string, unknown>>): boolean {
  const value: ValueNode | undefined = directive.arguments?.find((a) => a.name.value === 'if')?.value;
  if (value?.kind === Kind.BOOLEAN) return value.value;
  if (value?.kind === Kind.VARIABLE) {
    const given = conditions[value.name.value];
    if (typeof given === 'boolean') return given;
  }
  // A missing or mistyped condition: graphql-js reports it to the client with its own error.
  throw new NotPlannable(`@${directive.name.value} without a boolean`);
}
