import {
  Kind,
  parse,
  print,
  type ConstArgumentNode,
  type ConstDirectiveNode,
  type ConstValueNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type ObjectTypeDefinitionNode,
} from 'graphql';

/** A subgraph as composed: its name (`@join__graph(name:)`) and its parsed SDL. */
export interface ComposedSubgraph {
  name: string;
  typeDefs: DocumentNode;
}

/** What one subgraph declares about one field, in the terms `@join__field` records. */
export interface FieldInGraph {
  /** The field's type there, printed (`[Book!]!`). */
  type: string;
  external: boolean;
  provides: string | undefined;
  requires: string | undefined;
}

/**
 * Writes the `@join__field`s that @theguild/federation-composition (0.27) leaves out of a
 * supergraph, as Apollo's composer writes them, so the planner reads where each field really lives.
 *
 * The library writes no `@join__field` at all on two kinds of field, whatever the subgraphs say:
 * - a `Query` field that every subgraph defines: one subgraph's `@provides(fields:)` is lost, so
 *   the planner fetches provided fields again from their owner;
 * - an interface field that every subgraph defining the interface defines, `@interfaceObject`s
 *   included: a subgraph's `@external` (and any `@provides`/`@requires`) is lost, so the planner
 *   asks that subgraph for a field it cannot resolve.
 *
 * Apollo's composer (composition-js `merging/merge.ts`, `needsJoinField`/`addJoinField`) writes a
 * `@join__field` for every subgraph defining the field as soon as one of them marks it
 * `@external` or gives it `@provides` or `@requires`, with `external: true`, `provides:`,
 * `requires:` and, when the subgraphs' types differ, `type:` (a field whose subgraphs type it
 * differently gets them too, marked or not). This does the same for exactly the fields left
 * without any `@join__field` (their type widened after: widenFieldTypes.ts); every other line of the supergraph stays as the library
 * printed it. Subgraphs without a Federation 2 `@link` are left to the library (Federation 1's
 * implicit externals are its business).
 */
export function addMissingJoinFields(supergraphSdl: string, subgraphs: readonly ComposedSubgraph[]): string {
  const supergraph = parse(supergraphSdl);
  const declared = declaredFields(supergraph, subgraphs);
  const edits: SdlEdit[] = [];
  for (const definition of supergraph.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.INTERFACE_TYPE_DEFINITION) continue;
    for (const field of definition.fields ?? []) {
      if (field.directives?.some((directive) => directive.name.value === 'join__field')) continue;
      const inGraphs = fieldInGraphs(declared, definition.name.value, field.name.value);
      const type = print(field.type);
      const typesDiffer = inGraphs.some((f) => f.type !== type);
      if (!typesDiffer && !inGraphs.some((f) => f.external || f.provides !== undefined || f.requires !== undefined)) continue;
      // The library lists graphs in join__Graph order; so does this.
      inGraphs.sort((a, b) => (a.graph < b.graph ? -1 : a.graph > b.graph ? 1 : 0));
      const directives = inGraphs.map((f) => print(joinField(f, typesDiffer)));
      const at = (field.directives?.at(-1) ?? field.type).loc!.end;
      edits.push({ start: at, end: at, text: ` ${directives.join(' ')}` });
    }
  }
  return applyEdits(supergraphSdl, edits);
}

/** Text from `start` to `end` (the same offset for an insertion) of an SDL replaced by `text`. */
export interface SdlEdit {
  start: number;
  end: number;
  text: string;
}

/** The SDL with each edit applied; edits must not overlap. Applied last first, so offsets stay valid. */
export function applyEdits(sdl: string, edits: readonly SdlEdit[]): string {
  let out = sdl;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  return out;
}

/** Per subgraph with a Federation 2 `@link`: its `join__Graph` value and what it declares about each field. */
export function declaredFields(supergraph: DocumentNode, subgraphs: readonly ComposedSubgraph[]): { graph: string; fields: Map<string, FieldInGraph> }[] {
  const graphOf = joinGraphValues(supergraph);
  return subgraphs.flatMap((subgraph) => {
    const graph = graphOf.get(subgraph.name);
    const names = federationNames(subgraph.typeDefs);
    return graph && names ? [{ graph, fields: fieldsOf(subgraph.typeDefs, names) }] : [];
  });
}

/** What each subgraph defining `type.field` declares about it. */
export function fieldInGraphs(declared: ReturnType<typeof declaredFields>, type: string, field: string): (FieldInGraph & { graph: string })[] {
  return declared.flatMap(({ graph, fields }) => {
    const found = fields.get(`${type}.${field}`);
    return found ? [{ graph, ...found }] : [];
  });
}

/** `@join__field` with the library's argument order: graph, type, external, provides, requires. */
export function joinField(field: FieldInGraph & { graph: string }, typesDiffer: boolean): ConstDirectiveNode {
  const argument = (name: string, value: ConstValueNode): ConstArgumentNode => ({ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: name }, value });
  const string = (value: string): ConstValueNode => ({ kind: Kind.STRING, value });
  return {
    kind: Kind.DIRECTIVE,
    name: { kind: Kind.NAME, value: 'join__field' },
    arguments: [
      argument('graph', { kind: Kind.ENUM, value: field.graph }),
      ...(typesDiffer ? [argument('type', string(field.type))] : []),
      ...(field.external ? [argument('external', { kind: Kind.BOOLEAN, value: true })] : []),
      ...(field.provides !== undefined ? [argument('provides', string(field.provides))] : []),
      ...(field.requires !== undefined ? [argument('requires', string(field.requires))] : []),
    ],
  };
}

/** Subgraph name → its `join__Graph` value, from `@join__graph(name:)` (never the value's spelling). */
export function joinGraphValues(supergraph: DocumentNode): Map<string, string> {
  const graphs = new Map<string, string>();
  for (const definition of supergraph.definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== 'join__Graph') continue;
    for (const value of definition.values ?? []) {
      const name = value.directives
        ?.find((directive) => directive.name.value === 'join__graph')
        ?.arguments?.find((argument) => argument.name.value === 'name')?.value;
      if (name?.kind === Kind.STRING) graphs.set(name.value, value.name.value);
    }
  }
  return graphs;
}

interface FederationNames {
  external: string;
  provides: string;
  requires: string;
  key: string;
  extends: string;
}

/**
 * What `@external`, `@provides` and `@requires` are called in a Federation 2 subgraph: the name
 * imported (or its `as`), else `<prefix>__name` with the link's `as` (default `federation`).
 * Undefined for a subgraph without a Federation 2 `@link`.
 */
function federationNames(typeDefs: DocumentNode): FederationNames | undefined {
  for (const definition of typeDefs.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const link of definition.directives ?? []) {
      if (link.name.value !== 'link') continue;
      const argument = (name: string) => link.arguments?.find((a) => a.name.value === name)?.value;
      const url = argument('url');
      if (url?.kind !== Kind.STRING || !/^https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+$/.test(url.value)) continue;
      const as = argument('as');
      const prefix = as?.kind === Kind.STRING ? as.value : 'federation';
      const imported = new Map<string, string>();
      const imports = argument('import');
      for (const item of imports?.kind === Kind.LIST ? imports.values : []) {
        if (item.kind === Kind.STRING) imported.set(item.value, item.value);
        if (item.kind !== Kind.OBJECT) continue;
        const name = item.fields.find((f) => f.name.value === 'name')?.value;
        const alias = item.fields.find((f) => f.name.value === 'as')?.value;
        if (name?.kind === Kind.STRING) imported.set(name.value, alias?.kind === Kind.STRING ? alias.value : name.value);
      }
      const named = (directive: string) => (imported.get(`@${directive}`) ?? `@${prefix}__${directive}`).slice(1);
      return { external: named('external'), provides: named('provides'), requires: named('requires'), key: named('key'), extends: named('extends') };
    }
  }
  return undefined;
}

/** `Type.field` → what the subgraph declares about it, over every definition and extension of object and interface types. */
function fieldsOf(typeDefs: DocumentNode, names: FederationNames): Map<string, FieldInGraph> {
  const fields = new Map<string, FieldInGraph>();
  for (const definition of typeDefs.definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
      definition.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
      definition.kind !== Kind.INTERFACE_TYPE_EXTENSION
    ) {
      continue;
    }
    // `@external` on an object type marks each of its fields (Federation 2).
    const typeExternal = hasDirective(definition as Pick<ObjectTypeDefinitionNode, 'directives'>, names.external);
    const ownKeys = extensionKeyFields(definition, names);
    for (const field of definition.fields ?? []) {
      fields.set(`${definition.name.value}.${field.name.value}`, {
        type: print(field.type),
        external: (typeExternal || hasDirective(field, names.external)) && !ownKeys.has(field.name.value),
        provides: fieldSet(field, names.provides),
        requires: fieldSet(field, names.requires),
      });
    }
  }
  return fields;
}

/**
 * The key fields an extension type (`@extends`, or `extend type`) marks `@external` the Federation 1
 * way (`type User @extends @key(fields: "id") { id: ID! @external }`). They are the subgraph's
 * own: it returns them with every entity. Apollo's composer does not record them as external
 * (composition-js's "fake externals"), and neither does the library; counting them would write
 * `external: true` and leave e.g. a root list's `id` with no subgraph to read it from.
 */
function extensionKeyFields(definition: { kind: Kind; directives?: ObjectTypeDefinitionNode['directives'] }, names: FederationNames): Set<string> {
  const own = new Set<string>();
  const extension = definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.INTERFACE_TYPE_DEFINITION;
  if (!extension && !hasDirective(definition, names.extends)) return own;
  for (const directive of definition.directives ?? []) {
    if (directive.name.value !== names.key) continue;
    const fields = directive.arguments?.find((argument) => argument.name.value === 'fields')?.value;
    if (fields?.kind !== Kind.STRING) continue;
    const operation = parse(`{${fields.value}}`).definitions[0];
    for (const selection of operation?.kind === Kind.OPERATION_DEFINITION ? operation.selectionSet.selections : []) {
      if (selection.kind === Kind.FIELD) own.add(selection.name.value);
    }
  }
  return own;
}

function hasDirective(node: Pick<FieldDefinitionNode, 'directives'>, name: string): boolean {
  return node.directives?.some((directive) => directive.name.value === name) ?? false;
}

function fieldSet(field: FieldDefinitionNode, directive: string): string | undefined {
  const value = field.directives
    ?.find((d) => d.name.value === directive)
    ?.arguments?.find((argument) => argument.name.value === 'fields')?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
}
