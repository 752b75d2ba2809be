import {
  execute,
  getNullableType,
  isAbstractType,
  isEnumType,
  isListType,
  isObjectType,
  isScalarType,
  parse,
  type GraphQLFieldResolver,
  type GraphQLOutputType,
  type GraphQLSchema,
  type GraphQLTypeResolver,
} from 'graphql';

/**
 * Placeholder values that stand in for a source's data while `portico plan` traces what
 * stitching sends. A value that comes from data (an id the client did not give) is written
 * `{Type.field}`, so a URL or variable built from it shows where it came from and the trace can
 * tell a call made once from a call made once per distinct key.
 */
export const PLACEHOLDER = /\{[_A-Za-z][_0-9A-Za-z]*\.[_A-Za-z][_0-9A-Za-z]*\}/;

/** A leaf value for `coordinate` ("Type.field"): strings and ids name their coordinate. */
export function mockLeaf(type: GraphQLOutputType, coordinate: string): unknown {
  const named = getNullableType(type);
  if (isEnumType(named)) return named.getValues()[0]?.value ?? null;
  if (isScalarType(named)) {
    switch (named.name) {
      case 'Int':
        return 1;
      case 'Float':
        return 1.5;
      case 'Boolean':
        return true;
      default:
        return `{${coordinate}}`;
    }
  }
  return null;
}

/**
 * Answers one GraphQL request as a source would, with placeholder data shaped by the selection:
 * every list holds one item (or one per item of a list argument, as key lookups such as
 * `usersByIds(ids:)` and `_entities(representations:)` expect), every object is present, and an
 * object's fields named like the field's arguments echo them (`user(id: "u1") { id }` is u1).
 */
export async function mockGraphQLResponse(schema: GraphQLSchema, body: string): Promise<unknown> {
  const request = JSON.parse(body) as { query: string; variables?: Record<string, unknown>; operationName?: string };
  const fieldResolver: GraphQLFieldResolver<Record<string, unknown> | undefined, unknown> = (source, args, _context, info) => {
    if (source && Object.hasOwn(source, info.fieldName)) return source[info.fieldName];
    // Federation entity lookups answer each representation with that entity, its key included.
    if (info.fieldName === '_entities') return (args['representations'] as Record<string, unknown>[]).map((r) => ({ ...r }));
    return mockOutput(info.returnType, `${info.parentType.name}.${info.fieldName}`, args);
  };
  const typeResolver: GraphQLTypeResolver<Record<string, unknown>, unknown> = (value, _context, _info, abstractType) =>
    (value['__typename'] as string | undefined) ?? schema.getPossibleTypes(abstractType)[0]?.name;
  return execute({
    schema,
    document: parse(request.query),
    variableValues: request.variables ?? {},
    operationName: request.operationName ?? null,
    fieldResolver,
    typeResolver,
  });
}

function mockOutput(type: GraphQLOutputType, coordinate: string, args: Record<string, unknown>): unknown {
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    const keys = Object.values(args).find(Array.isArray);
    const count = keys ? keys.length : 1;
    return Array.from({ length: count }, (_, i) => mockOutput(nullable.ofType, coordinate, keys ? { key: keys[i] } : args));
  }
  if (isObjectType(nullable)) {
    const seeded: Record<string, unknown> = {};
    const fields = nullable.getFields();
    for (const [name, value] of Object.entries(args)) {
      if (fields[name] && (typeof value === 'string' || typeof value === 'number')) seeded[name] = value;
    }
    return seeded;
  }
  if (isAbstractType(nullable)) return {};
  return mockLeaf(nullable, coordinate);
}
