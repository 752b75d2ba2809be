import {
  getNamedType,
  isInterfaceType,
  isObjectType,
  isUnionType,
  parse,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { FieldModel, SupergraphModel, TypeModel } from '../sources/federation/planner/supergraphModel.js';
import { parseFieldSet } from '../sources/federation/planner/supergraphModel.js';

/** How a plain source completes objects of one type from their keys (its `merge` lookup). */
export interface EntityLookup {
  /** The key field (`id`): what the representation carries. */
  keyField: string;
  /** The root field taking a list of keys and answering one object (or null) per key, in order. */
  field: string;
  /** Its argument holding the keys. */
  argument: string;
}

/**
 * One part of a BFF's virtual supergraph: a federation source's own supergraph model, or a plain
 * source (GraphQL or REST) as one virtual subgraph whose merge lookups play `_entities`.
 */
export type ModelPart =
  | { kind: 'federation'; source: string; model: SupergraphModel }
  | { kind: 'source'; graph: string; schema: GraphQLSchema; lookups: ReadonlyMap<string, EntityLookup> };

/**
 * The BFF's sources as one supergraph model, with the BFF's renames applied, so the federation
 * planner plans across all of them: a type merged by several sources is an entity whose keys
 * are the merge keys, and each field is resolvable where a source defines it.
 *
 * Graph ids of plain sources are `source:<name>` (never a join__Graph enum value); a federation
 * subgraph's executor name becomes `<source>/<subgraph>`, as its transport is named.
 */
export function buildBffModel(parts: readonly ModelPart[], rename: Readonly<Record<string, string>>): SupergraphModel {
  const graphs = new Map<string, { name: string; url: string }>();
  const types = new Map<string, MutableType>();
  const roots = { query: 'Query', mutation: 'Mutation', subscription: 'Subscription' };
  const overrideLabels = new Set<string>();
  const renamed = (type: string, field: string) => rename[`${type}.${field}`] ?? field;

  for (const part of parts) {
    if (part.kind === 'federation') {
      if (part.model.unsupported) return { graphs, types, roots, overrideLabels, unsupported: part.model.unsupported };
      for (const label of part.model.overrideLabels) overrideLabels.add(label);
      for (const [id, graph] of part.model.graphs) graphs.set(id, { name: `${part.source}/${graph.name}`, url: graph.url });
      for (const type of part.model.types.values()) {
        const target = typeOf(types, type.name, type.kind);
        for (const graph of type.graphs) target.graphs.add(graph);
        for (const [graph, keys] of type.keys) target.keys.set(graph, keys);
        for (const [graph, members] of type.possibleIn) target.possibleIn.set(graph, members);
        for (const name of type.interfaces) if (!target.interfaces.includes(name)) target.interfaces.push(name);
        for (const graph of type.interfaceObjectIn) target.interfaceObjectIn.add(graph);
        for (const [name, field] of type.fields) mergeField(target, renamed(type.name, name), field);
      }
      continue;
    }
    const graph = `source:${part.graph}`;
    graphs.set(graph, { name: part.graph, url: '' });
    for (const type of Object.values(part.schema.getTypeMap())) {
      if (type.name.startsWith('__')) continue;
      // Root types are merged under the BFF's names (a source's own root names do not matter).
      const name =
        type === part.schema.getQueryType()
          ? 'Query'
          : type === part.schema.getMutationType()
            ? 'Mutation'
            : type === part.schema.getSubscriptionType()
              ? 'Subscription'
              : type.name;
      if (isObjectType(type) || isInterfaceType(type)) {
        const target = typeOf(types, name, isObjectType(type) ? 'object' : 'interface');
        target.graphs.add(graph);
        const lookup = part.lookups.get(type.name);
        if (lookup) target.keys.set(graph, [parseFieldSet(lookup.keyField)]);
        if (isInterfaceType(type)) target.possibleIn.set(graph, new Set(part.schema.getPossibleTypes(type).map((t) => t.name)));
        if (isObjectType(type)) for (const named of type.getInterfaces()) if (!target.interfaces.includes(named.name)) target.interfaces.push(named.name);
        for (const field of Object.values(type.getFields())) {
          mergeField(target, renamed(name, field.name), {
            type: getNamedType(field.type).name,
            typeIn: new Map(),
            retypedIn: new Set(),
            resolvableIn: new Set([graph]),
            externalIn: new Set(),
            requires: new Map(),
            provides: new Map(),
          });
        }
      } else if (isUnionType(type)) {
        const target = typeOf(types, name, 'union');
        target.graphs.add(graph);
        target.possibleIn.set(graph, new Set(type.getTypes().map((t) => t.name)));
      }
    }
  }
  // A type the sources disagree on: each of its fields is unplannable, so a selection of it runs
  // by stitching, which reconciles such types.
  for (const type of types.values()) {
    if (!type.unplannable) continue;
    for (const [name, field] of type.fields) type.fields.set(name, { ...field, unplannable: field.unplannable ?? type.unplannable });
  }
  return { graphs, types, roots, overrideLabels };
}

type MutableType = TypeModel & {
  graphs: Set<string>;
  keys: Map<string, readonly SelectionSetNode[]>;
  possibleIn: Map<string, ReadonlySet<string>>;
  fields: Map<string, FieldModel>;
  interfaces: string[];
  interfaceObjectIn: Set<string>;
  /** Why the sources' views of this type cannot be planned together, if they cannot. */
  unplannable?: string;
};

function typeOf(types: Map<string, MutableType>, name: string, kind: TypeModel['kind']): MutableType {
  let type = types.get(name);
  if (!type) {
    type = { name, kind, graphs: new Set(), keys: new Map(), possibleIn: new Map(), fields: new Map(), interfaces: [], interfaceObjectIn: new Set() };
    types.set(name, type);
  } else if (type.kind !== kind) {
    // An object in one source and an interface in another: stitching reconciles that, the plan does not.
    type.unplannable ??= `${name} is an ${type.kind} in one source and an ${kind} in another`;
  }
  return type;
}

function mergeField(type: MutableType, name: string, field: FieldModel): void {
  const previous = type.fields.get(name);
  if (!previous) {
    type.fields.set(name, field);
    return;
  }
  const unplannable =
    previous.unplannable ??
    field.unplannable ??
    // A context's selection names the source's fields, which a BFF may rename or hide: not planned here.
    (field.contextArguments || previous.contextArguments ? '@fromContext argument in a BFF' : undefined) ??
    (previous.type !== field.type ? `${type.name}.${name} has different types in different sources` : undefined);
  const progressive = previous.progressive ?? field.progressive;
  type.fields.set(name, {
    type: previous.type,
    typeIn: new Map([...previous.typeIn, ...field.typeIn]),
    retypedIn: new Set([...previous.retypedIn, ...field.retypedIn]),
    ...(progressive ? { progressive } : {}),
    resolvableIn: new Set([...previous.resolvableIn, ...field.resolvableIn]),
    externalIn: new Set([...previous.externalIn, ...field.externalIn]),
    requires: new Map([...previous.requires, ...field.requires]),
    provides: new Map([...previous.provides, ...field.provides]),
    ...(unplannable ? { unplannable } : {}),
  });
}

/** The key field of a merge config's `selectionSet` (`{ id }`); undefined for anything else. */
export function singleKeyField(selectionSet: string | undefined): string | undefined {
  if (!selectionSet) return undefined;
  const selections = parse(`query ${selectionSet}`, { noLocation: true }).definitions[0];
  if (selections?.kind !== 'OperationDefinition') return undefined;
  const [only, ...rest] = selections.selectionSet.selections;
  return only?.kind === 'Field' && !only.selectionSet && rest.length === 0 ? only.name.value : undefined;
}
