import {
  Kind,
  TypeInfo,
  getNamedType,
  isInterfaceType,
  isLeafType,
  isNonNullType,
  isObjectType,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';

/** A document rewritten to report the entities in its result, and the aliases it uses for that. */
export interface EntityTracking {
  /** Executed instead of the client's document; the result is the same plus two aliased fields. */
  document: DocumentNode;
  typenameAlias: string;
  idAlias: string;
}

/**
 * Adds `<typenameAlias>: __typename` to every selection set and `<idAlias>: <idField>` to those on
 * a type that has one of `idFields` (a scalar without required arguments), so the result says
 * which entities it holds even where the client did not ask for `__typename` or `id`. The
 * response cache indexes cached responses by these entities, and a mutation's result names the
 * entities to purge. (The technique is @envelop/response-cache's.)
 *
 * The aliases start with `__`, which no schema field may, and get a numeric suffix if the
 * client's document already uses them, so they can never collide with what the client selected.
 * The rewrite runs once per document, at execution: validation, cost and depth limits see the
 * client's document, not this one.
 */
export function addEntityFields(schema: GraphQLSchema, document: DocumentNode, idFields: readonly string[]): EntityTracking {
  const used = new Set<string>();
  visit(document, {
    Field(node) {
      used.add(node.alias?.value ?? node.name.value);
    },
  });
  const free = (base: string) => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}${i}`;
    return name;
  };
  const typenameAlias = free('__cacheTypename');
  const idAlias = free('__cacheId');

  const typeInfo = new TypeInfo(schema);
  const rewritten = visit(
    document,
    visitWithTypeInfo(typeInfo, {
      SelectionSet(node, _key, parent) {
        // The root of an operation is no entity; its fields are.
        if (parent && !Array.isArray(parent) && (parent as { kind?: string }).kind === Kind.OPERATION_DEFINITION) return undefined;
        const type = typeInfo.getParentType();
        if (!type) return undefined;
        const added: FieldNode[] = [aliased(typenameAlias, '__typename')];
        if (isObjectType(type) || isInterfaceType(type)) {
          const fields = type.getFields();
          const idField = idFields.find((name) => {
            const field = fields[name];
            return field && isLeafType(getNamedType(field.type)) && !field.args.some((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined);
          });
          if (idField) added.push(aliased(idAlias, idField));
        }
        return { ...node, selections: [...node.selections, ...added] } satisfies SelectionSetNode;
      },
    }),
  );
  return { document: rewritten, typenameAlias, idAlias };
}

/**
 * Removes the tracking fields from a result's data, in place, and returns the entities it holds
 * as `Type:id`. Data is plain JSON from execution, so an in-place walk is safe and allocates
 * nothing but the entity list.
 */
export function extractEntities(data: unknown, tracking: Pick<EntityTracking, 'typenameAlias' | 'idAlias'>): string[] {
  const entities = new Set<string>();
  const { typenameAlias, idAlias } = tracking;
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    const typename = record[typenameAlias];
    const id = record[idAlias];
    if (typenameAlias in record) delete record[typenameAlias];
    if (idAlias in record) delete record[idAlias];
    if (typeof typename === 'string' && (typeof id === 'string' || typeof id === 'number')) entities.add(entityKey(typename, id));
    for (const key in record) walk(record[key]);
  };
  walk(data);
  return [...entities];
}

/** `Order:o1`: the same whichever BFF or query returned the entity. */
export function entityKey(typename: string, id: string | number): string {
  return `${typename}:${String(id)}`;
}

function aliased(alias: string, name: string): FieldNode {
  return { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: alias }, name: { kind: Kind.NAME, value: name } };
}
