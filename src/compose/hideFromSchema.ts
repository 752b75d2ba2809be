import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { getNamedType, isObjectType, isInterfaceType, type GraphQLOutputType, type GraphQLSchema } from 'graphql';

/**
 * Removes hidden types and fields from a stitched schema. Fields whose name starts with `_` on
 * the root types are internal (merge lookups such as `_productsByIds`, `_entities`) and always
 * removed. Merging still works: it delegates to the subschemas, which keep those fields.
 */
export function hideFromSchema(schema: GraphQLSchema, hide: readonly string[]): GraphQLSchema {
  const hiddenTypes = new Set(hide.filter((entry) => !entry.includes('.')));
  const hiddenFields = new Set(hide.filter((entry) => entry.includes('.')));
  const rootTypes = new Set(
    [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]
      .filter((type) => type !== null && type !== undefined)
      .map((type) => type.name),
  );

  for (const entry of hiddenFields) {
    const [typeName, fieldName] = entry.split('.') as [string, string];
    const type = schema.getType(typeName);
    const exists = (isObjectType(type) || isInterfaceType(type)) && type.getFields()[fieldName] !== undefined;
    if (!exists) {
      throw new Error(`hide: ${entry} is not a field of this BFF's schema`);
    }
  }
  for (const typeName of hiddenTypes) {
    if (!schema.getType(typeName)) throw new Error(`hide: ${typeName} is not a type of this BFF's schema`);
  }

  const fieldFilter = (typeName: string, fieldName: string, fieldType: GraphQLOutputType) => {
    if (hiddenFields.has(`${typeName}.${fieldName}`)) return null;
    if (rootTypes.has(typeName) && fieldName.startsWith('_')) return null;
    // A field whose type is hidden goes with it, so hiding a type needs one entry, not many.
    if (hiddenTypes.has(getNamedType(fieldType).name)) return null;
    return undefined;
  };

  return mapSchema(schema, {
    [MapperKind.TYPE]: (type) => (hiddenTypes.has(type.name) ? null : type),
    [MapperKind.COMPOSITE_FIELD]: (fieldConfig, fieldName, typeName) =>
      fieldFilter(typeName, fieldName, fieldConfig.type),
  });
}
