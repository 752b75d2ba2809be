import {
  Kind,
  TypeInfo,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isListType,
  isNonNullType,
  isObjectType,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { isIncluded } from '../../context/isIncluded.js';
import { fragmentsOf } from './guardedFields.js';

/** Selected in every abstract-typed selection set of a pruned document, then removed. */
export const TYPENAME_ALIAS = '_porticoTypename';

const typenameField = (alias?: string): FieldNode => ({
  kind: Kind.FIELD,
  name: { kind: Kind.NAME, value: '__typename' },
  ...(alias ? { alias: { kind: Kind.NAME, value: alias } } : {}),
});

/**
 * The document without the denied fields, so no source is ever asked for them. A selection set
 * left empty selects `__typename` (the parent is still fetched, as the client asked); selection
 * sets on interfaces and unions also select it under an alias, so the denied fields can be put
 * back as nulls on exactly the objects whose type they belong to.
 */
export function pruneDocument(schema: GraphQLSchema, document: DocumentNode, denied: ReadonlySet<FieldNode>): DocumentNode {
  const typeInfo = new TypeInfo(schema);
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        return denied.has(node) ? null : undefined;
      },
      SelectionSet: {
        leave(node) {
          const selections: SelectionNode[] = [...node.selections];
          if (selections.length === 0) selections.push(typenameField());
          if (isAbstractType(typeInfo.getParentType())) selections.push(typenameField(TYPENAME_ALIAS));
          return selections.length === node.selections.length ? undefined : { ...node, selections };
        },
      },
    }),
  );
}

export interface DeniedAt {
  node: FieldNode;
  /** "Type.field", for the error. */
  coordinate: string;
  path: (string | number)[];
}

/**
 * Puts the denied fields back into the data as nulls, in the client's key order, and returns
 * where, so each gets an error at its exact path (list indices included). A denied non-null
 * field nulls its nearest nullable ancestor, as any null under a non-null field does in GraphQL.
 * Fields under @skip/@include are placed only where the directive keeps them.
 */
export function placeDeniedNulls(options: {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  data: Record<string, unknown>;
  denied: ReadonlyMap<FieldNode, string>;
  variables: Record<string, unknown> | undefined;
  /** Fields left unfetched because a denied child nulls them anyway (certainlyNulledFields). */
  nulled?: ReadonlySet<FieldNode>;
}): { data: Record<string, unknown> | null; placed: DeniedAt[] } {
  const { schema, operation, denied } = options;
  const nulled = options.nulled ?? new Set<FieldNode>();
  const placed: DeniedAt[] = [];
  const NULLED = Symbol('nulled');
  const collect = fieldCollector(schema, options.document, options.variables);

  /** The errors a field left unfetched would have had: one per denied field inside it. */
  const placeInside = (nodes: readonly FieldNode[], type: GraphQLObjectType, path: (string | number)[]): void => {
    const fields = new Map<string, FieldNode[]>();
    const spread = new Set<string>();
    for (const node of nodes) if (node.selectionSet) collect(node.selectionSet, type, fields, spread);
    for (const [key, children] of fields) {
      const first = children[0]!;
      const coordinate = denied.get(first);
      if (coordinate !== undefined) placed.push({ node: first, coordinate, path: [...path, key] });
      else if (nulled.has(first)) placeInside(children, objectTypeOf(type, first)!, [...path, key]);
    }
  };

  const runtimeType = (value: Record<string, unknown>, type: GraphQLCompositeType): GraphQLObjectType | undefined => {
    if (isObjectType(type)) return type;
    const name = value[TYPENAME_ALIAS];
    const found = typeof name === 'string' ? schema.getType(name) : undefined;
    return isObjectType(found) ? found : undefined;
  };

  /** Rebuilds one object; returns undefined when a denied non-null field must null it. */
  const visitObject = (
    value: Record<string, unknown>,
    type: GraphQLCompositeType,
    sets: readonly SelectionSetNode[],
    path: (string | number)[],
  ): Record<string, unknown> | undefined => {
    const objectType = runtimeType(value, type);
    if (!objectType) return value;
    const fields = new Map<string, FieldNode[]>();
    const spread = new Set<string>();
    for (const set of sets) collect(set, objectType, fields, spread);
    const out: Record<string, unknown> = {};
    let nullSelf = false;
    for (const [key, nodes] of fields) {
      const first = nodes[0]!;
      const name = first.name.value;
      if (name === '__typename' && key === TYPENAME_ALIAS) continue;
      const field = name.startsWith('__') ? undefined : objectType.getFields()[name];
      const coordinate = denied.get(first);
      if (coordinate !== undefined) {
        placed.push({ node: first, coordinate, path: [...path, key] });
        out[key] = null;
        if (field && isNonNullType(field.type)) nullSelf = true;
        continue;
      }
      if (nulled.has(first) && field) {
        placeInside(nodes, objectTypeOf(objectType, first)!, [...path, key]);
        out[key] = null;
        if (isNonNullType(field.type)) nullSelf = true;
        continue;
      }
      if (!(key in value)) continue;
      const child = value[key];
      if (!field || child === null || child === undefined) {
        out[key] = child;
        continue;
      }
      const childSets = nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
      if (childSets.length === 0) {
        out[key] = child;
        continue;
      }
      const result = visitValue(child, field.type, childSets, [...path, key]);
      if (result === NULLED) {
        if (isNonNullType(field.type)) nullSelf = true;
        out[key] = null;
      } else {
        out[key] = result;
      }
    }
    return nullSelf ? undefined : out;
  };

  const visitValue = (value: unknown, type: GraphQLOutputType, sets: readonly SelectionSetNode[], path: (string | number)[]): unknown => {
    const nullable = isNonNullType(type) ? type.ofType : type;
    if (value === null || value === undefined) return value;
    if (isListType(nullable)) {
      if (!Array.isArray(value)) return value;
      const items: unknown[] = [];
      for (let i = 0; i < value.length; i++) {
        const item = visitValue(value[i], nullable.ofType, sets, [...path, i]);
        if (item === NULLED) {
          if (isNonNullType(nullable.ofType)) return NULLED;
          items.push(null);
        } else {
          items.push(item);
        }
      }
      return items;
    }
    const named = getNamedType(nullable);
    if (!isCompositeType(named) || typeof value !== 'object') return value;
    const object = visitObject(value as Record<string, unknown>, named, sets, path);
    return object === undefined ? NULLED : object;
  };

  const root = schema.getRootType(operation.operation);
  if (!root) return { data: options.data, placed };
  const data = visitObject(options.data, root, [operation.selectionSet], []);
  return { data: data ?? null, placed };
}

/**
 * Response key → the field nodes selecting it, for an object of `type`, as graphql-js's
 * collectFields does (fragments whose condition applies, @skip/@include with the variables).
 */
function fieldCollector(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined) {
  const fragments = fragmentsOf(document);
  const applies = (condition: string | undefined, type: GraphQLObjectType): boolean => {
    if (condition === undefined || condition === type.name) return true;
    const conditionType = schema.getType(condition);
    return isCompositeType(conditionType) && isAbstractType(conditionType) && schema.isSubType(conditionType, type);
  };
  const collect = (set: SelectionSetNode, type: GraphQLObjectType, into: Map<string, FieldNode[]>, spread: Set<string>): void => {
    for (const selection of set.selections) {
      if (!isIncluded(selection, variables)) continue;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const nodes = into.get(key);
        if (nodes) nodes.push(selection);
        else into.set(key, [selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (applies(selection.typeCondition?.name.value, type)) collect(selection.selectionSet, type, into, spread);
      } else {
        const fragment: FragmentDefinitionNode | undefined = fragments.get(selection.name.value);
        if (!fragment || spread.has(fragment.name.value) || !applies(fragment.typeCondition.name.value, type)) continue;
        spread.add(fragment.name.value);
        collect(fragment.selectionSet, type, into, spread);
      }
    }
  };
  return collect;
}

/** The object type a field of `parent` returns when it is one object (not a list, not abstract). */
function objectTypeOf(parent: GraphQLObjectType, node: FieldNode): GraphQLObjectType | undefined {
  const field = parent.getFields()[node.name.value];
  if (!field) return undefined;
  const type = isNonNullType(field.type) ? field.type.ofType : field.type;
  return isObjectType(type) ? type : undefined;
}

/**
 * Fields certain to come back null whatever the source says: a single object (not a list) that
 * selects, unconditionally for this request, a denied non-null field, or such a field again.
 * GraphQL would null the object for that denied child, so the gateway need not fetch it at all:
 * `user(id: "u2") { plan orders { id } }` on mobile calls no source. Its errors stay at the
 * denied fields' paths, and whether the object exists is not revealed (an absent user answers
 * the same as a present one).
 */
export function certainlyNulledFields(options: {
  schema: GraphQLSchema;
  document: DocumentNode;
  denied: ReadonlySet<FieldNode>;
  variables: Record<string, unknown> | undefined;
}): Set<FieldNode> {
  const { schema, document, denied } = options;
  const collect = fieldCollector(schema, document, options.variables);
  // Every field node with the single object type it returns, fragments once each.
  const candidates: { node: FieldNode; type: GraphQLObjectType }[] = [];
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const type = typeInfo.getType();
        const nullable = isNonNullType(type) ? type.ofType : type;
        if (node.selectionSet && isObjectType(nullable)) candidates.push({ node, type: nullable });
      },
    }),
  );
  const nulled = new Set<FieldNode>();
  // Each round can only add parents of what the last one added: at most the document's depth.
  for (let changed = true; changed; ) {
    changed = false;
    for (const { node, type } of candidates) {
      if (nulled.has(node) || denied.has(node)) continue;
      const fields = new Map<string, FieldNode[]>();
      collect(node.selectionSet!, type, fields, new Set());
      for (const children of fields.values()) {
        const first = children[0]!;
        const child = type.getFields()[first.name.value];
        if (child && isNonNullType(child.type) && (denied.has(first) || nulled.has(first))) {
          nulled.add(node);
          changed = true;
          break;
        }
      }
    }
  }
  return nulled;
}
