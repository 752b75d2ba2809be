import {
  Kind,
  parse,
  print,
  type ConstDirectiveNode,
  type ConstValueNode,
  type DocumentNode,
  type SelectionSetNode,
  type TypeNode,
} from 'graphql';

/**
 * Where each type and field of a supergraph lives, read once from its `@join__*` directives
 * (join spec v0.2-v0.5): what the query planner needs to decide which subgraph answers a field
 * and how to jump from one subgraph to another through `_entities`.
 *
 * Only what the planner uses is kept. Anything it cannot plan safely is recorded as such
 * (`unplannable`) rather than guessed at, so an operation touching it falls back to stitching.
 */
export interface SupergraphModel {
  /** join__Graph enum value (e.g. `ACCOUNTS`) → the subgraph's composed name and URL. */
  graphs: ReadonlyMap<string, { name: string; url: string }>;
  types: ReadonlyMap<string, TypeModel>;
  /** The root types' names, from the schema definition (`Query`, `Mutation` unless renamed). */
  roots: { query: string; mutation: string; subscription: string };
  /** Set when the whole supergraph is outside what the planner supports (e.g. join v0.1). */
  unsupported?: string;
  /** Every progressive `@override` label (`percent(25)`, or a custom one) of the supergraph. */
  overrideLabels: ReadonlySet<string>;
  /**
   * Every value each enum declares in the supergraph, `@inaccessible` ones included: a subgraph
   * may answer a value clients cannot see, which the answer then holds as null.
   */
  enumValues?: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface TypeModel {
  name: string;
  kind: 'object' | 'interface' | 'union';
  /** Graphs that define the type. */
  graphs: ReadonlySet<string>;
  /** Per graph, the keys `_entities` accepts there (resolvable ones only), parsed. */
  keys: ReadonlyMap<string, readonly SelectionSetNode[]>;
  /** For interfaces and unions: per graph, the object types that are possible there. */
  possibleIn: ReadonlyMap<string, ReadonlySet<string>>;
  fields: ReadonlyMap<string, FieldModel>;
  /** Object types: the interfaces they implement in the supergraph. */
  interfaces: readonly string[];
  /** Interfaces: the graphs where the interface is an `@interfaceObject` (an object there, typename and all). */
  interfaceObjectIn: ReadonlySet<string>;
  /** The contexts (`@context(name:)`, as composed: `<subgraph>__<name>`) its objects set for their descendants. */
  contexts?: ReadonlySet<string>;
}

/** An argument a subgraph takes `@fromContext`: its value is read from the nearest ancestor setting `context`. */
export interface ContextArgument {
  context: string;
  /** The argument's name in the subgraph. */
  name: string;
  /** Its type there (`String`, `[ID!]`), for the variable that carries it. */
  type: string;
  /** What to read on the ancestor, parsed (`{ currency }`). */
  selection: SelectionSetNode;
}

export interface FieldModel {
  /** The name of the field's named type (list and non-null wrappers removed). */
  type: string;
  /**
   * Per graph, the named type the field has there when it differs from `type` (`@join__field(type:)`):
   * an interface field may be an implementing object in one subgraph.
   */
  typeIn: ReadonlyMap<string, string>;
  /**
   * Graphs where the field's full type differs from the supergraph's (`ID!` there, `ID` in the
   * supergraph). Two object types' fields under one response key must have the same type in a
   * subgraph document, so there it travels under a per-type alias (planOperation).
   */
  retypedIn: ReadonlySet<string>;
  /** Graphs that resolve the field themselves (not external there, not overridden away). */
  resolvableIn: ReadonlySet<string>;
  /** Graphs where the field is declared `@external` (it may still be `@provides`d there). */
  externalIn: ReadonlySet<string>;
  /** Per graph, the `@requires` selection the field needs in its entity representation. */
  requires: ReadonlyMap<string, SelectionSetNode>;
  /** Per graph, the `@provides` selection the field's value carries there. */
  provides: ReadonlyMap<string, SelectionSetNode>;
  /**
   * A progressive `@override`: which graphs resolve the field when its label is active for a
   * request (the overriding one) and when it is not (the overridden one). Neither is in
   * `resolvableIn` here; `withOverrideLabels` makes the model of one set of active labels.
   */
  progressive?: { label: string; ifActive: ReadonlySet<string>; ifInactive: ReadonlySet<string> };
  /** Per graph, the arguments it takes `@fromContext` (absent from the supergraph's field). */
  contextArguments?: ReadonlyMap<string, readonly ContextArgument[]>;
  unplannable?: string;
}

const JOIN_VERSION = /specs\.apollo\.dev\/join\/v(\d+)\.(\d+)/;

/** Reads the model from a supergraph SDL (already checked to be one by readSupergraphFile). */
export function readSupergraphModel(supergraph: DocumentNode): SupergraphModel {
  const graphs = new Map<string, { name: string; url: string }>();
  const types = new Map<string, TypeModel>();
  let unsupported: string | undefined;
  const roots = { query: 'Query', mutation: 'Mutation', subscription: 'Subscription' };
  const enumValues = new Map<string, Set<string>>();

  for (const definition of supergraph.definitions) {
    if (definition.kind === Kind.SCHEMA_DEFINITION || definition.kind === Kind.SCHEMA_EXTENSION) {
      for (const operationType of definition.operationTypes ?? []) {
        if (operationType.operation === 'query') roots.query = operationType.type.name.value;
        if (operationType.operation === 'mutation') roots.mutation = operationType.type.name.value;
        if (operationType.operation === 'subscription') roots.subscription = operationType.type.name.value;
      }
      for (const directive of definition.directives ?? []) {
        const url = stringArg(directive, 'url');
        const version = url && JOIN_VERSION.exec(url);
        // join v0.1 (Federation 1 supergraphs) gives fields without @join__field to the type's
        // owner only; the planner reads v0.2+ semantics, so such supergraphs stay on stitching.
        if (version && Number(version[1]) === 0 && Number(version[2]) < 2) unsupported = `join spec ${url} (before v0.2)`;
      }
    }
    if (definition.kind === Kind.ENUM_TYPE_DEFINITION && !/^(join|link)__/.test(definition.name.value)) {
      enumValues.set(definition.name.value, new Set((definition.values ?? []).map((value) => value.name.value)));
    }
    if (definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === 'join__Graph') {
      for (const value of definition.values ?? []) {
        const joinGraph = value.directives?.find((d) => d.name.value === 'join__graph');
        graphs.set(value.name.value, {
          name: (joinGraph && stringArg(joinGraph, 'name')) ?? value.name.value,
          url: (joinGraph && stringArg(joinGraph, 'url')) ?? '',
        });
      }
    }
  }

  for (const definition of supergraph.definitions) {
    switch (definition.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.INTERFACE_TYPE_DEFINITION:
      case Kind.OBJECT_TYPE_EXTENSION:
      case Kind.INTERFACE_TYPE_EXTENSION:
      case Kind.UNION_TYPE_DEFINITION:
        break;
      default:
        continue;
    }
    const name = definition.name.value;
    if (name.startsWith('join__') || name.startsWith('link__')) continue;
    const typeGraphs = new Set<string>();
    const keys = new Map<string, SelectionSetNode[]>();
    const interfaceObjectIn = new Set<string>();
    const contexts = new Set<string>();
    const extensionKeyFields = new Map<string, Set<string>>();
    for (const directive of definition.directives ?? []) {
      const contextName = directive.name.value === 'context' ? stringArg(directive, 'name') : undefined;
      if (contextName !== undefined) contexts.add(contextName);
      if (directive.name.value !== 'join__type') continue;
      const graph = enumArg(directive, 'graph');
      if (!graph) continue;
      typeGraphs.add(graph);
      if (boolArg(directive, 'isInterfaceObject')) interfaceObjectIn.add(graph);
      const key = stringArg(directive, 'key');
      if (key !== undefined && boolArg(directive, 'resolvable') !== false) {
        keys.set(graph, [...(keys.get(graph) ?? []), parseFieldSet(key)]);
      }
      if (key !== undefined && boolArg(directive, 'extension')) {
        const named = extensionKeyFields.get(graph) ?? new Set<string>();
        for (const selection of parseFieldSet(key).selections) if (selection.kind === Kind.FIELD) named.add(selection.name.value);
        extensionKeyFields.set(graph, named);
      }
    }
    // A type without @join__type (a supergraph built by hand) lives wherever its fields do.
    const fields = new Map<string, FieldModel>();
    if (definition.kind !== Kind.UNION_TYPE_DEFINITION) {
      for (const field of definition.fields ?? []) {
        fields.set(field.name.value, resolvableKeyFields(field.name.value, readField(field.type, field.directives ?? [], typeGraphs), extensionKeyFields));
      }
    }
    const previous = types.get(name);
    types.set(name, {
      name,
      kind:
        definition.kind === Kind.UNION_TYPE_DEFINITION
          ? 'union'
          : definition.kind === Kind.INTERFACE_TYPE_DEFINITION || definition.kind === Kind.INTERFACE_TYPE_EXTENSION
            ? 'interface'
            : 'object',
      graphs: new Set([...(previous?.graphs ?? []), ...typeGraphs]),
      keys: new Map([...(previous?.keys ?? []), ...keys]),
      possibleIn: previous?.possibleIn ?? new Map(),
      fields: new Map([...(previous?.fields ?? []), ...fields]),
      interfaces: [
        ...(previous?.interfaces ?? []),
        ...(definition.kind === Kind.UNION_TYPE_DEFINITION ? [] : (definition.interfaces ?? []).map((named) => named.name.value)),
      ],
      interfaceObjectIn: new Set([...(previous?.interfaceObjectIn ?? []), ...interfaceObjectIn]),
      contexts: new Set([...(previous?.contexts ?? []), ...contexts]),
    });
  }

  // Possible types per graph: objects implementing an interface there (@join__implements), and
  // union members there (@join__unionMember). A fragment on a type that is not possible in a
  // subgraph must not be sent to it (the subgraph would refuse the whole query).
  for (const definition of supergraph.definitions) {
    if (definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.INTERFACE_TYPE_DEFINITION) {
      for (const directive of definition.directives ?? []) {
        if (directive.name.value !== 'join__implements') continue;
        const graph = enumArg(directive, 'graph');
        const iface = stringArg(directive, 'interface');
        if (graph && iface) addPossible(types.get(iface), graph, definition.name.value);
      }
    }
    if (definition.kind === Kind.UNION_TYPE_DEFINITION) {
      for (const directive of definition.directives ?? []) {
        if (directive.name.value !== 'join__unionMember') continue;
        const graph = enumArg(directive, 'graph');
        const member = stringArg(directive, 'member');
        if (graph && member) addPossible(types.get(definition.name.value), graph, member);
      }
    }
  }

  const overrideLabels = new Set<string>();
  for (const type of types.values()) for (const field of type.fields.values()) if (field.progressive) overrideLabels.add(field.progressive.label);
  return { graphs, types, roots, overrideLabels, enumValues, ...(unsupported ? { unsupported } : {}) };
}

/**
 * The model as it is for requests where exactly `active` labels are on: each progressively
 * overridden field resolves in the overriding graph when its label is active, in the overridden
 * one otherwise. Types without such fields are shared with `model`.
 */
export function withOverrideLabels(model: SupergraphModel, active: ReadonlySet<string>): SupergraphModel {
  const types = new Map<string, TypeModel>();
  for (const [name, type] of model.types) {
    let fields: Map<string, FieldModel> | undefined;
    for (const [fieldName, field] of type.fields) {
      if (!field.progressive) continue;
      fields ??= new Map(type.fields);
      const { label, ifActive, ifInactive } = field.progressive;
      fields.set(fieldName, { ...field, resolvableIn: new Set([...field.resolvableIn, ...(active.has(label) ? ifActive : ifInactive)]) });
    }
    types.set(name, fields ? { ...type, fields } : type);
  }
  return { ...model, types };
}

function readField(typeNode: TypeNode, directives: readonly ConstDirectiveNode[], typeGraphs: ReadonlySet<string>): FieldModel {
  const type = namedTypeOf(typeNode);
  const joinFields = directives.filter((d) => d.name.value === 'join__field');
  // No @join__field: the field lives in every graph that defines its type.
  if (joinFields.length === 0) {
    return { type, typeIn: new Map(), retypedIn: new Set(), resolvableIn: typeGraphs, externalIn: new Set(), requires: new Map(), provides: new Map() };
  }
  const printedType = print(typeNode);
  const typeIn = new Map<string, string>();
  const retypedIn = new Set<string>();
  const resolvableIn = new Set<string>();
  const externalIn = new Set<string>();
  const requires = new Map<string, SelectionSetNode>();
  const provides = new Map<string, SelectionSetNode>();
  let unplannable: string | undefined;
  const contextArguments = new Map<string, ContextArgument[]>();
  let progressive: { label: string; ifActive: Set<string>; ifInactive: Set<string> } | undefined;
  for (const directive of joinFields) {
    const graph = enumArg(directive, 'graph');
    // @join__field without a graph marks a field an @interfaceObject adds to every implementation:
    // it is resolved through the interface (planOperation's chooseTarget).
    if (!graph) continue;
    const contextual = argument(directive, 'contextArguments');
    if (contextual) {
      const read = readContextArguments(contextual);
      if (read) contextArguments.set(graph, read);
      else unplannable = '@fromContext argument the planner cannot read';
    }
    const typeThere = stringArg(directive, 'type');
    if (typeThere !== undefined) {
      if (typeThere !== printedType) retypedIn.add(graph);
      const named = typeThere.replaceAll(/[[\]!]/g, '');
      if (named !== type) typeIn.set(graph, named);
    }
    const label = stringArg(directive, 'overrideLabel');
    if (boolArg(directive, 'external')) externalIn.add(graph);
    else if (label !== undefined) {
      // The overriding graph names `override:`; the overridden one carries the label alone.
      progressive ??= { label, ifActive: new Set(), ifInactive: new Set() };
      (stringArg(directive, 'override') !== undefined ? progressive.ifActive : progressive.ifInactive).add(graph);
    } else if (!boolArg(directive, 'usedOverridden')) resolvableIn.add(graph);
    const requiresSet = stringArg(directive, 'requires');
    if (requiresSet !== undefined) requires.set(graph, parseFieldSet(requiresSet));
    const providesSet = stringArg(directive, 'provides');
    if (providesSet !== undefined) provides.set(graph, parseFieldSet(providesSet));
  }
  return {
    type,
    typeIn,
    retypedIn,
    resolvableIn,
    externalIn,
    requires,
    provides,
    ...(progressive ? { progressive } : {}),
    ...(contextArguments.size > 0 ? { contextArguments } : {}),
    ...(unplannable ? { unplannable } : {}),
  };
}

/**
 * A key field an `@extends` type marks `@external` (`id: ID! @external`, Federation 1 style) is
 * still the subgraph's own: it answers it wherever it returns the entity, as every subgraph does
 * its key fields. Apollo's composer does not record it as external; a supergraph that does (as
 * `portico compose` wrote one before addMissingJoinFields followed Apollo here) is read the same
 * way, or a root list of such entities would have no subgraph to give its key.
 */
function resolvableKeyFields(name: string, field: FieldModel, extensionKeyFields: ReadonlyMap<string, ReadonlySet<string>>): FieldModel {
  const graphs = [...field.externalIn].filter((graph) => extensionKeyFields.get(graph)?.has(name) && !field.resolvableIn.has(graph));
  return graphs.length === 0 ? field : { ...field, resolvableIn: new Set([...field.resolvableIn, ...graphs]) };
}

/** `contextArguments: [{context: "a__shop", name: "currency", type: "String", selection: " { currency }"}]`. */
function readContextArguments(value: ConstValueNode): ContextArgument[] | undefined {
  const items = value.kind === Kind.LIST ? value.values : [value];
  const read: ContextArgument[] = [];
  for (const item of items) {
    if (item.kind !== Kind.OBJECT) return undefined;
    const text = (name: string) => {
      const field = item.fields.find((candidate) => candidate.name.value === name)?.value;
      return field?.kind === Kind.STRING ? field.value : undefined;
    };
    const [context, name, type, selection] = [text('context'), text('name'), text('type'), text('selection')];
    if (context === undefined || name === undefined || type === undefined || selection === undefined) return undefined;
    const trimmed = selection.trim();
    read.push({ context, name, type, selection: parseFieldSet(trimmed.startsWith('{') ? trimmed.slice(1, trimmed.lastIndexOf('}')) : trimmed) });
  }
  return read;
}

function namedTypeOf(type: TypeNode): string {
  return type.kind === Kind.NAMED_TYPE ? type.name.value : namedTypeOf(type.type);
}

function addPossible(type: TypeModel | undefined, graph: string, member: string): void {
  if (!type) return;
  const possible = type.possibleIn as Map<string, Set<string>>;
  let members = possible.get(graph);
  if (!members) possible.set(graph, (members = new Set()));
  members.add(member);
}

/** A join__FieldSet (`"id organisation { id }"`) as the selection set it abbreviates. */
export function parseFieldSet(fieldSet: string): SelectionSetNode {
  const document = parse(`{${fieldSet}}`, { noLocation: true });
  const operation = document.definitions[0];
  if (operation?.kind !== Kind.OPERATION_DEFINITION) throw new Error(`not a field set: ${fieldSet}`);
  return operation.selectionSet;
}

function argument(directive: ConstDirectiveNode, name: string) {
  return directive.arguments?.find((a) => a.name.value === name)?.value;
}

function stringArg(directive: ConstDirectiveNode, name: string): string | undefined {
  const value = argument(directive, name);
  return value?.kind === Kind.STRING ? value.value : undefined;
}

function enumArg(directive: ConstDirectiveNode, name: string): string | undefined {
  const value = argument(directive, name);
  return value?.kind === Kind.ENUM ? value.value : undefined;
}

function boolArg(directive: ConstDirectiveNode, name: string): boolean | undefined {
  const value = argument(directive, name);
  return value?.kind === Kind.BOOLEAN ? value.value : undefined;
}
