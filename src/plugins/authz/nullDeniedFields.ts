import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  TypeInfo,
  getDirectiveValues,
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
}): { data: Record<string, unknown> | null; placed: DeniedAt[] } {
  const { schema, operation, denied, variables } = options;
  const fragments = fragmentsOf(options.document);
  const placed: DeniedAt[] = [];
  const NULLED = Symbol('nulled');

  const included = (node: SelectionNode): boolean => {
    if (!node.directives?.length) return true;
    const skip = getDirectiveValues(GraphQLSkipDirective, node, variables);
    if (skip?.['if'] === true) return false;
    const include = getDirectiveValues(GraphQLIncludeDirective, node, variables);
    return include?.['if'] !== false;
  };

  const applies = (condition: string | undefined, type: GraphQLObjectType): boolean => {
    if (condition === undefined || condition === type.name) return true;
    const conditionType = schema.getType(condition);
    return isCompositeType(conditionType) && isAbstractType(conditionType) && schema.isSubType(conditionType, type);
  };

  /** Response key → the field nodes selecting it, for an object of `type` (graphql-js's collectFields). */
  const collect = (set: SelectionSetNode, type: GraphQLObjectType, into: Map<string, FieldNode[]>, spread: Set<string>): void => {
    for (const selection of set.selections) {
      if (!included(selection)) continue;
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
