import { Kind, parse, parseType, print, type DocumentNode, type TypeNode } from 'graphql';
import { applyEdits, declaredFields, fieldInGraphs, type ComposedSubgraph, type SdlEdit } from './addMissingJoinFields.js';

/**
 * Gives a field the subgraphs declare with different but compatible types the most general of
 * them in the supergraph, as Apollo's composer does (composition-js `merging/merge.ts`,
 * `mergeTypeReference`: the supertype wins). Each subgraph's own type is on its
 * `@join__field(graph:, type:)`, written before this runs (addMissingJoinFields.ts).
 *
 * @theguild/federation-composition (0.27) keeps the narrowest instead: `Viewer.book` declared
 * `Book` in one subgraph and `ViewerMedia` (a union holding `Book`) in another composes as
 * `Book`, so a client's `... on Movie` under it fails validation. Nullability too: `String!` in
 * one subgraph and `String` in another is `String`. A field whose types have no one supertype
 * among them keeps the library's type.
 */
export function widenFieldTypes(supergraphSdl: string, subgraphs: readonly ComposedSubgraph[]): string {
  const supergraph = parse(supergraphSdl);
  const declared = declaredFields(supergraph, subgraphs);
  const subtypes = subtypesOf(supergraph);
  const edits: SdlEdit[] = [];
  for (const definition of supergraph.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.INTERFACE_TYPE_DEFINITION) continue;
    for (const field of definition.fields ?? []) {
      const types = [...new Set(fieldInGraphs(declared, definition.name.value, field.name.value).map((f) => f.type))];
      if (types.length < 2) continue;
      const widest = mostGeneralType(types, subtypes);
      if (widest !== undefined && widest !== print(field.type)) edits.push({ start: field.type.loc!.start, end: field.type.loc!.end, text: widest });
    }
  }
  return applyEdits(supergraphSdl, edits);
}

/** Abstract type → the types that are one: a union's members, an interface's implementations. */
function subtypesOf(supergraph: DocumentNode): Map<string, Set<string>> {
  const subtypes = new Map<string, Set<string>>();
  const add = (abstract: string, type: string) => {
    let set = subtypes.get(abstract);
    if (!set) subtypes.set(abstract, (set = new Set()));
    set.add(type);
  };
  for (const definition of supergraph.definitions) {
    if (definition.kind === Kind.UNION_TYPE_DEFINITION) for (const member of definition.types ?? []) add(definition.name.value, member.name.value);
    if (definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.INTERFACE_TYPE_DEFINITION) {
      for (const iface of definition.interfaces ?? []) add(iface.name.value, definition.name.value);
    }
  }
  return subtypes;
}

/**
 * The one type among `types` every other is a subtype of (a union member or an implementation
 * of its abstract type, non-null of its nullable, list of its list), as Apollo merges an output
 * field's type; none when no such type is among them.
 */
function mostGeneralType(types: readonly string[], subtypes: ReadonlyMap<string, ReadonlySet<string>>): string | undefined {
  const parsed = types.map((type) => ({ printed: type, node: parseType(type, { noLocation: true }) }));
  const isSubtype = (sub: TypeNode, sup: TypeNode): boolean => {
    if (sup.kind === Kind.NON_NULL_TYPE) return sub.kind === Kind.NON_NULL_TYPE && isSubtype(sub.type, sup.type);
    if (sub.kind === Kind.NON_NULL_TYPE) return isSubtype(sub.type, sup);
    if (sup.kind === Kind.LIST_TYPE) return sub.kind === Kind.LIST_TYPE && isSubtype(sub.type, sup.type);
    if (sub.kind === Kind.LIST_TYPE) return false;
    return sub.name.value === sup.name.value || subtypes.get(sup.name.value)?.has(sub.name.value) === true;
  };
  return parsed.find((candidate) => parsed.every((other) => isSubtype(other.node, candidate.node)))?.printed;
}
