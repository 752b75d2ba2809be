import { Kind, parse, print, type DocumentNode, type NamedTypeNode, type TypeNode } from 'graphql';
import { declaredFields, fieldInGraphs, joinField, type ComposedSubgraph } from './addMissingJoinFields.js';

/**
 * Gives a field the subgraphs declare with different but compatible types the most general of
 * them in the supergraph, as Apollo's composer does (composition-js `merging/merge.ts`,
 * `mergeTypeReference`: the supertype wins), with a `@join__field(graph:, type:)` per subgraph.
 *
 * @theguild/federation-composition (0.27) keeps the narrowest instead: `Viewer.book` declared
 * `Book` in one subgraph and `ViewerMedia` (a union holding `Book`) in another composes as
 * `Book`, so a client's `... on Movie` under it fails validation; and a `Query` field every
 * subgraph defines gets no `@join__field`, so the planner reads one type for all of them (and
 * sends a subgraph fragments on types it does not have there). Only the
 * named type changes (lists and non-null stay as the library printed them); a field whose types
 * have no one supertype among them is left alone.
 */
export function widenFieldTypes(supergraphSdl: string, subgraphs: readonly ComposedSubgraph[]): string {
  const supergraph = parse(supergraphSdl);
  const declared = declaredFields(supergraph, subgraphs);
  const subtypes = subtypesOf(supergraph);
  const edits: { start: number; end: number; text: string }[] = [];
  for (const definition of supergraph.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.INTERFACE_TYPE_DEFINITION) continue;
    for (const field of definition.fields ?? []) {
      const inGraphs = fieldInGraphs(declared, definition.name.value, field.name.value);
      const named = new Set(inGraphs.map((f) => namedTypeName(f.type)));
      if (named.size >= 2) {
        const widest = [...named].find((candidate) => [...named].every((other) => other === candidate || subtypes.get(candidate)?.has(other)));
        const current = namedTypeOf(field.type);
        if (widest !== undefined && widest !== current.name.value) edits.push({ start: current.loc!.start, end: current.loc!.end, text: widest });
      }
      // Each subgraph's own type, where they differ and the library wrote no @join__field.
      if (named.size < 2 || field.directives?.some((directive) => directive.name.value === 'join__field')) continue;
      // The library lists graphs in join__Graph order; so does this.
      inGraphs.sort((a, b) => (a.graph < b.graph ? -1 : a.graph > b.graph ? 1 : 0));
      const at = (field.directives?.at(-1) ?? field.type).loc!.end;
      edits.push({ start: at, end: at, text: ` ${inGraphs.map((f) => print(joinField(f, true))).join(' ')}` });
    }
  }
  let out = supergraphSdl;
  for (const edit of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  return out;
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

function namedTypeOf(type: TypeNode): NamedTypeNode {
  return type.kind === Kind.NAMED_TYPE ? type : namedTypeOf(type.type);
}

function namedTypeName(printed: string): string {
  return printed.replace(/[[\]!\s]/g, '');
}
