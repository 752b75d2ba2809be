import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/** What the query guards limit, for one operation, counted as the operation would execute. */
export interface OperationMeasure {
  /**
   * Deepest field nesting, as graphql-depth-limit counts it: `{ a }` is 0, `{ a { b } }` is 1;
   * introspection (`__`) fields are not counted.
   */
  depth: number;
  /**
   * Deepest nesting counting introspection fields too (`{ __schema { types { name } } }` is 2):
   * introspection is a query like any other, and `__Type.ofType` nests as deep as a client asks.
   */
  introspectionDepth: number;
  /** Aliased fields, every fragment spread counted again. */
  aliases: number;
  /** Directives on the operation, its fields, fragments and spreads, every spread counted again. */
  directives: number;
}

type Measure = OperationMeasure;

/**
 * Measures every operation of a document in one pass. Each fragment is measured once and its
 * figures reused at every spread, so the work stays linear in the document's size even when
 * fragments are spread inside fragments many times over: the counts grow exponentially for such
 * a "fragment bomb", the time to count them does not. (graphql-depth-limit walks every path
 * instead, which a 1000-token document can make take minutes, and it overflows the stack on
 * fragment cycles; it remains the reference for what depth means here.)
 *
 * A spread of an unknown fragment, or one inside a fragment cycle, counts as nothing: graphql-js's
 * own rules (KnownFragmentNames, NoFragmentCycles) reject such documents anyway.
 */
export function measureOperations(document: DocumentNode): Map<OperationDefinitionNode, OperationMeasure> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const done = new Map<string, Measure>();
  const measuring = new Set<string>();
  const ZERO: Measure = { depth: 0, introspectionDepth: 0, aliases: 0, directives: 0 };

  const fragment = (name: string): Measure => {
    const known = done.get(name);
    if (known) return known;
    const definition = fragments.get(name);
    if (!definition || measuring.has(name)) return ZERO;
    measuring.add(name);
    const inner = selectionSet(definition.selectionSet);
    measuring.delete(name);
    const measure = { ...inner, directives: inner.directives + (definition.directives?.length ?? 0) };
    done.set(name, measure);
    return measure;
  };

  const selectionSet = (set: SelectionSetNode): Measure => {
    let depth = 0;
    let introspectionDepth = 0;
    let aliases = 0;
    let directives = 0;
    for (const selection of set.selections) {
      directives += selection.directives?.length ?? 0;
      if (selection.kind === Kind.FIELD) {
        if (selection.alias) aliases++;
        if (selection.selectionSet) {
          const child = selectionSet(selection.selectionSet);
          aliases += child.aliases;
          directives += child.directives;
          if (!selection.name.value.startsWith('__')) depth = Math.max(depth, child.depth + 1);
          introspectionDepth = Math.max(introspectionDepth, child.introspectionDepth + 1);
        }
      } else {
        const child = selection.kind === Kind.INLINE_FRAGMENT ? selectionSet(selection.selectionSet) : fragment(selection.name.value);
        aliases += child.aliases;
        directives += child.directives;
        depth = Math.max(depth, child.depth);
        introspectionDepth = Math.max(introspectionDepth, child.introspectionDepth);
      }
    }
    return { depth, introspectionDepth, aliases, directives };
  };

  const measures = new Map<OperationDefinitionNode, OperationMeasure>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const measure = selectionSet(definition.selectionSet);
    const variableDirectives = (definition.variableDefinitions ?? []).reduce((sum, variable) => sum + (variable.directives?.length ?? 0), 0);
    measures.set(definition, {
      ...measure,
      directives: measure.directives + (definition.directives?.length ?? 0) + variableDirectives,
    });
  }
  return measures;
}
