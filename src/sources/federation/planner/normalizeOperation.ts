import {
  Kind,
  type DirectiveNode,
  type FieldNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { SupergraphModel, TypeModel } from './supergraphModel.js';

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
 * Thrown when no subgraph can give a field where the client selects it: no key of its parent
 * type leads, directly or through other subgraphs' keys, from the subgraph holding the parent to
 * one resolving the field (a composed supergraph may allow this: each subgraph marks the other's
 * key `@external`). Not a fallback: stitching can only answer such a field wrongly (the
 * subgraph's placeholder for an `@external` key) or not at all, so the operation is refused
 * (QUERY_PLAN_UNSATISFIABLE, `data: null`) before any subgraph call.
 */
export class Unsatisfiable extends Error {
  override readonly name = 'Unsatisfiable';
  constructor(readonly coordinate: string) {
    super(`no subgraph can give ${coordinate} where it is selected`);
  }
}

/**
 * Thrown when a document needs more planning than its budget allows (fragment fan-out, thousands
 * of fields, fragments nested too deep). Not a fallback: stitching would pay the same expansion
 * per request, so the operation is refused (QUERY_PLAN_TOO_LARGE) before any subgraph call.
 */
export class PlanTooLarge extends Error {
  override readonly name = 'PlanTooLarge';
  constructor(
    readonly limit: 'fields' | 'depth',
    readonly max: number,
  ) {
    super(`the plan needs more than ${max} ${limit === 'fields' ? 'fields' : 'levels of nesting'}`);
  }
}

/**
 * How much planning one operation may cost. Both limits are counted while the document is
 * expanded, so an over-budget document stops costing the moment it crosses them.
 */
export interface PlanBudget {
  /**
   * Fields after every fragment is expanded at every place it is spread, counted once per place:
   * what the planner (and any engine) must look at. Fragment fan-out (`...F` spread twice in
   * each of twenty nested fragments) reaches millions with a document of a few hundred bytes.
   * @default 20000: the largest operation of the demo BFFs expands to under 100 fields, and the
   * planner plans 20 000 in well under the time of one subgraph round trip.
   */
  maxFields: number;
  /**
   * Selection sets nested in one another, fields and fragments alike: the planner recurses once
   * per level, so this is what keeps a chain of thousands of fragments from exhausting the stack.
   * @default 200: far above any real query; the depth limit (plugins/limits) counts fields only.
   */
  maxDepth: number;
}

export const defaultPlanBudget: Readonly<PlanBudget> = Object.freeze({ maxFields: 20_000, maxDepth: 200 });

/** A budget being spent by one normalisation. */
export interface BudgetMeter {
  readonly budget: Readonly<PlanBudget>;
  fields: number;
}

/**
 * The variables whose values decide `@skip`/`@include` in a document: a plan is made for one
 * combination of their values, so these values are part of the plan cache key.
 */
/**
 * What planning needs of a document once, whatever the request: its fragments by name and the
 * variables its @skip/@include read (the plan's cache key includes their values).
 */
export function documentShape(document: DocumentNode): { fragments: Map<string, FragmentDefinitionNode>; conditions: string[] } {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const selectionSets = document.definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION ? [d.selectionSet] : []));
  return { fragments, conditions: conditionVariables(selectionSets) };
}

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
  meter: BudgetMeter = { budget: defaultPlanBudget, fields: 0 },
  depth = 0,
  /** Named fragments already folded into this selection set: spread twice, they add nothing. */
  folded: Set<string> = new Set(),
): NormalSelection[] {
  if (depth > meter.budget.maxDepth) throw new PlanTooLarge('depth', meter.budget.maxDepth);
  const parent = model.types.get(parentType);
  if (!parent) throw new NotPlannable(`type ${parentType} is not in the supergraph`);
  const out: NormalSelection[] = [];
  for (const selection of selectionSet.selections) {
    if (!included(selection.directives, conditions)) continue;
    if (selection.kind === Kind.FIELD) {
      if (++meter.fields > meter.budget.maxFields) throw new PlanTooLarge('fields', meter.budget.maxFields);
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
      // The merged data's `__typename` is what the planner collects entities by and graphql-js
      // resolves abstract types from: a client field aliased `__typename` travels under an
      // internal alias and is read back from it (readPlannedField).
      const node: FieldNode =
        responseKey === '__typename' ? { ...selection, alias: { kind: Kind.NAME, value: CLIENT_TYPENAME_ALIAS } } : selection;
      const normal: NormalField = { kind: 'field', responseKey: node.alias?.value ?? name, name, node };
      if (selection.selectionSet) {
        normal.selections = normalizeSelections(model, fragments, conditions, field.type, selection.selectionSet, meter, depth + 1);
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
    // On an object parent a fragment applies when the object is (one of) its type(s); the
    // planner's own expansion of abstract fragments puts fragments where they may not apply.
    if (parent.kind === 'object' && typeCondition !== parentType && !possibleTypes(model, condition).has(parentType)) continue;
    if (typeCondition === parentType || parent.kind === 'object') {
      // graphql-js collects a named fragment once per selection set; so does the planner, or
      // `...F ...F` nested n deep would cost 2^n.
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        if (folded.has(selection.name.value)) continue;
        folded.add(selection.name.value);
      }
      out.push(...normalizeSelections(model, fragments, conditions, parentType, inner, meter, depth + 1, folded));
    } else if (condition.kind === 'object') {
      out.push({
        kind: 'fragment',
        typeName: typeCondition,
        selections: normalizeSelections(model, fragments, conditions, typeCondition, inner, meter, depth + 1),
      });
    } else {
      // An abstract type inside another (`... on Media` in a SearchResult): it applies to the
      // object types both can be, so it becomes one fragment on each, planned like any other.
      const within = possibleTypes(model, parent);
      for (const objectType of possibleTypes(model, condition)) {
        if (!within.has(objectType)) continue;
        out.push({
          kind: 'fragment',
          typeName: objectType,
          selections: normalizeSelections(model, fragments, conditions, objectType, inner, meter, depth + 1),
        });
      }
    }
  }
  return out;
}

/** The object types an interface or union can be in some subgraph (itself, for an object type). */
export function possibleTypes(model: SupergraphModel, type: TypeModel): ReadonlySet<string> {
  if (type.kind === 'object') return new Set([type.name]);
  const all = new Set<string>();
  for (const members of type.possibleIn.values()) {
    for (const member of members) if (model.types.get(member)?.kind === 'object') all.add(member);
  }
  return all;
}

const typenameField: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };

/** Response keys the planner adds for keys and `@requires` fields start with this. */
export const INTERNAL_ALIAS_PREFIX = '__pq_';

/**
 * Where a field of one object type travels when its type in the subgraph differs from the
 * supergraph's (planOperation): read back by the projection under the object's type.
 */
export function typeScopedAlias(typeName: string, responseKey: string): string {
  return `${INTERNAL_ALIAS_PREFIX}${typeName}__${responseKey}`;
}

/** Where a client field aliased `__typename` (`__typename: name`) travels and is read from. */
export const CLIENT_TYPENAME_ALIAS = `${INTERNAL_ALIAS_PREFIX}typename`;

function included(directives: readonly DirectiveNode[] | undefined, conditions: Readonly<Record<string, unknown>>): boolean {
  if (!directives?.length) return true;
  for (const directive of directives) {
    const name = directive.name.value;
    if (name === 'skip' || name === 'include') {
      const value = conditionValue(directive, conditions);
      if (name === 'skip' ? value : !value) return false;
    } else {
      // An executable directive other than @skip/@include changes how a response is built.
      // (@defer/@stream do not get here: src/plugins/incremental/ splits the operation first.)
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
